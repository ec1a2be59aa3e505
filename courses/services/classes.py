"""Terms, classes and enrolment: administrators run them, students join with a code."""

import secrets
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from courses import notices, policies
from courses.models import Cohort, Course, Enrolment, Term
from lms.accounts.models import Role, School, User
from lms.errors import ApplicationError
from lms.writes import fields_assign, validated_save
from realtime import bus

TERM_FIELDS = ("name", "starts_on", "ends_on")
COHORT_FIELDS = ("name", "allow_self_enrol")
# No 0/O or 1/I/L: a code is read off a projector and typed on a phone.
JOIN_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
JOIN_CODE_LENGTH = 7


def _invalid(field: str, message: str) -> ApplicationError:
    return ApplicationError("invalid", _("Some fields are not valid."), fields={field: [message]})


# --- terms ----------------------------------------------------------------------------------
def _check_dates(term: Term) -> None:
    if term.starts_on and term.ends_on and term.ends_on < term.starts_on:
        raise _invalid("ends_on", _("A term ends on or after the day it starts."))


@transaction.atomic
def term_create(*, by: User, school: School, name: str, starts_on: date, ends_on: date) -> Term:
    if not policies.can_run_school(by, school):
        raise PermissionDenied
    term = Term(school=school, name=name, starts_on=starts_on, ends_on=ends_on)
    _check_dates(term)
    validated_save(term, unique_error_field="name")
    return term


@transaction.atomic
def term_update(*, term: Term, by: User, data: dict[str, object]) -> Term:
    if not policies.can_run_school(by, term.school):
        raise PermissionDenied
    fields_assign(term, data, TERM_FIELDS)
    _check_dates(term)
    validated_save(term, unique_error_field="name")
    return term


# --- classes --------------------------------------------------------------------------------
def _new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def _check_teachers(teachers: list[User], term: Term) -> None:
    wrong = [teacher for teacher in teachers if teacher.role != Role.TEACHER]
    if wrong or not teachers:
        raise _invalid("teachers", _("Choose one or more teachers."))
    inactive = [teacher for teacher in teachers if not teacher.is_active]
    if inactive:
        raise _invalid("teachers", _("A deactivated person cannot teach a class."))


@transaction.atomic
def cohort_create(
    *,
    by: User,
    term: Term,
    course: Course,
    name: str,
    teachers: list[User],
    allow_self_enrol: bool = False,
) -> Cohort:
    if not policies.can_run_school(by, term.school):
        raise PermissionDenied
    if course.school.region_id != term.school.region_id:
        raise _invalid("course", _("Choose a course of a school in this region."))
    _check_teachers(teachers, term)
    for _attempt in range(5):
        cohort = Cohort(
            course=course,
            term=term,
            name=name,
            allow_self_enrol=allow_self_enrol,
            join_code=_new_join_code(),
        )
        try:
            with transaction.atomic():
                validated_save(cohort, unique_error_field="name")
        except ApplicationError as error:
            if "join_code" in error.fields:
                continue  # a rare clash of random codes: draw another
            raise
        cohort.teachers.set(teachers)
        return cohort
    raise ApplicationError("conflict", _("Could not make a unique join code; try again."))


@transaction.atomic
def cohort_update(
    *, cohort: Cohort, by: User, data: dict[str, object], teachers: list[User] | None = None
) -> Cohort:
    if not policies.can_manage_cohort(by, cohort):
        raise PermissionDenied
    fields_assign(cohort, data, COHORT_FIELDS)
    validated_save(cohort, unique_error_field="name")
    if teachers is not None:
        _check_teachers(teachers, cohort.term)
        cohort.teachers.set(teachers)
    return cohort


@transaction.atomic
def cohort_join_code_renew(*, cohort: Cohort, by: User) -> Cohort:
    """A code that leaked (posted online, say) is replaced; the old one stops working."""
    if not policies.can_manage_cohort(by, cohort):
        raise PermissionDenied
    cohort.join_code = _new_join_code()
    validated_save(cohort)
    return cohort


# --- enrolment ------------------------------------------------------------------------------
@transaction.atomic
def enrolment_create(*, cohort: Cohort, student: User, by: User) -> tuple[Enrolment, bool]:
    """Enrol one student; enrolling someone already in the class changes nothing."""
    if not policies.can_enrol(by, cohort, student):
        raise _invalid("student", _("You cannot enrol this person in this class."))
    return _enrol(cohort=cohort, student=student, by=by)


def _enrol(*, cohort: Cohort, student: User, by: User) -> tuple[Enrolment, bool]:
    try:
        with transaction.atomic():
            enrolment, created = Enrolment.objects.get_or_create(
                cohort=cohort, student=student, defaults={"enrolled_by": by}
            )
    except IntegrityError:  # enrolled by a concurrent request a moment ago
        return Enrolment.objects.get(cohort=cohort, student=student), False
    if created:
        notices.enrolled(cohort=cohort, students=[student], occasion=str(enrolment.pk))
    return enrolment, created


@transaction.atomic
def enrolment_delete(*, cohort: Cohort, student: User, by: User) -> None:
    """Take a student out of a class (their completed lessons are kept)."""
    if not (policies.can_manage_cohort(by, cohort) or policies.can_enrol(by, cohort, student)):
        raise PermissionDenied
    Enrolment.objects.filter(cohort=cohort, student=student).delete()
    bus.user_recheck(student.pk)  # their live lesson sockets close within moments


@transaction.atomic
def cohort_join(*, student: User, code: str) -> Enrolment:
    """A student joins a class with the code the teacher gave, when the class allows it."""
    if student.role != Role.STUDENT:
        raise PermissionDenied
    normalised = code.strip().upper().replace(" ", "").replace("-", "")
    cohort = Cohort.objects.filter(join_code=normalised, allow_self_enrol=True).first()
    if cohort is None:
        raise _invalid("code", _("No class takes this code. Check it with your teacher."))
    enrolment, _created = _enrol(cohort=cohort, student=student, by=student)
    return enrolment
