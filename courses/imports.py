"""Bulk enrolment of students into one class from a CSV file.

A school sends a spreadsheet of pupils; an administrator imports it in two steps. The dry run
(``apply=False``) reads and checks every row and says what would happen to it, writing nothing.
The apply step checks everything again and then writes all rows in one transaction, or none
if any row has an error: half a class enrolled is worse than none, because nobody can tell
which half.

The file: a header row naming the columns (any order, any case), then one pupil a line.
``username`` is required; ``first_name``, ``last_name``, ``school`` (the school's code),
``email`` and ``password`` are used only to create a person who does not exist yet. An
existing student's account is not changed, only enrolled. Encodings: UTF-8 (with or without
the BOM Excel writes) and Windows-1251 (what Excel writes on Russian-language Windows, common
in Kyrgyz schools); a file that is not valid text in its encoding is refused, never guessed.

Writes go through bulk operations in batches, so a file of 10,000 rows takes a few dozen
queries, not tens of thousands.
"""

import csv
import io
import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import charset_normalizer
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from courses import notices, policies
from courses.models import Cohort, Enrolment
from lms.accounts import policies as accounts_policies
from lms.accounts.hashers import BulkInitialPasswordHasher
from lms.accounts.models import Role, School, User
from lms.errors import ApplicationError

COLUMNS = ("username", "first_name", "last_name", "school", "email", "password")
REQUIRED_COLUMNS = ("username",)
# The encodings a caller may choose, and the codec each is read with: "utf-8-sig" drops the
# byte-order mark Excel puts at the start of a UTF-8 file, and reads a file without one too.
ENCODINGS = {"utf-8": "utf-8-sig", "windows-1251": "cp1251"}
MAX_FILE_BYTES = 5 * 1024 * 1024
# Rows per lookup and per insert. Under SQLite's 999 parameters per query, for the lookups.
BATCH_SIZE = 900
# Readable generated passwords: no 0/O, 1/l/I, read off a printed list by a pupil.
READABLE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
PASSWORD_GROUPS = 3
PASSWORD_GROUP_LENGTH = 4
# Fields of ``User`` checked by its own validators for a new person; the rest are set here.
_CHECKED_FIELDS = ("username", "first_name", "last_name", "email")
_UNCHECKED_FIELDS = [f.name for f in User._meta.fields if f.name not in _CHECKED_FIELDS]


class Action:
    CREATE = "create"
    ENROL = "enrol"
    ALREADY_ENROLLED = "already enrolled"
    ERROR = "error"


ACTIONS = (Action.CREATE, Action.ENROL, Action.ALREADY_ENROLLED, Action.ERROR)
# "stage" (planning or applying), rows done, rows in all.
Progress = Callable[[str, int, int], None]


@dataclass
class ImportRow:
    line: int
    username: str
    action: str = Action.ERROR
    errors: dict[str, list[str]] = field(default_factory=dict)
    password: str | None = None  # a generated password, reported once, to hand to the pupil
    values: dict[str, str] = field(default_factory=dict, repr=False)
    student: User | None = field(default=None, repr=False)  # the existing or the new person

    def refuse(self, column: str, message: str) -> None:
        self.errors.setdefault(column, []).append(message)
        self.action = Action.ERROR

    def as_dict(self) -> dict[str, Any]:
        shaped: dict[str, Any] = {
            "line": self.line,
            "username": self.username,
            "action": self.action,
            "errors": self.errors,
        }
        if self.password is not None:
            shaped["password"] = self.password
        return shaped


@dataclass
class ImportReport:
    encoding: str
    mode: str  # "dry-run" or "apply"
    applied: bool
    rows: list[ImportRow]

    @property
    def counts(self) -> dict[str, int]:
        counts = {action.replace(" ", "_"): 0 for action in ACTIONS}
        for row in self.rows:
            counts[row.action.replace(" ", "_")] += 1
        return counts

    @property
    def has_errors(self) -> bool:
        return any(row.action == Action.ERROR for row in self.rows)

    def as_dict(self) -> dict[str, Any]:
        return {
            "encoding": self.encoding,
            "mode": self.mode,
            "applied": self.applied,
            "counts": self.counts,
            "rows": [row.as_dict() for row in self.rows],
        }


@dataclass
class ParsedFile:
    encoding: str
    columns: list[str]
    rows: list[tuple[int, list[str]]]  # (line number in the file, fields)


def _refused(message: str, code: str = "invalid_file") -> ApplicationError:
    return ApplicationError(code, message, fields={"file": [message]})


# --- who may import -------------------------------------------------------------------------
def can_import_into(user: Any, cohort: Cohort) -> bool:
    """Those who run the class's school, and the administrators who may enrol their pupils in
    it: the school administrators of its region (``policies.can_enrol``'s rule)."""
    if policies.can_manage_cohort(user, cohort):
        return True
    return accounts_policies.is_school_admin(user) and bool(
        user.school.region_id == cohort.term.school.region_id
    )


# --- reading the file -----------------------------------------------------------------------
def file_decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """The file's text and the name of the encoding it was read with. ``encoding`` (one of
    ``ENCODINGS``) is the caller's choice; without it, strict UTF-8 first, then the best
    Windows-1251 reading charset-normalizer vouches for."""
    if encoding is not None:
        codec = ENCODINGS.get(encoding)
        if codec is None:
            raise _refused(
                _("Choose one of these encodings: %(encodings)s.")
                % {"encodings": ", ".join(ENCODINGS)}
            )
        try:
            return data.decode(codec), encoding
        except UnicodeDecodeError as error:
            raise _refused(
                _(
                    "The file is not valid %(encoding)s text (at byte %(position)d). "
                    "Choose its encoding, or save it again as UTF-8."
                )
                % {"encoding": encoding, "position": error.start}
            ) from error
    try:
        return data.decode(ENCODINGS["utf-8"]), "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data, cp_isolation=["cp1251"]).best()
    if best is None:
        raise _refused(
            _(
                "The file's encoding could not be recognised. Save it as UTF-8 (or "
                "Windows-1251) and try again."
            )
        )
    return str(best), "windows-1251"


def _delimiter(text: str) -> str:
    """Excel in Russian and Kyrgyz locales separates with semicolons; pick what the header uses."""
    header = text.lstrip("\r\n").split("\n", 1)[0]
    return max((",", ";", "\t"), key=header.count)


def file_parse(data: bytes, encoding: str | None = None) -> ParsedFile:
    """Decode and split the file, checking its header; a file that cannot be read is refused
    as a whole (ApplicationError), a bad row only marks that row."""
    parsed = csv_read(data, encoding)
    _check_header(parsed.columns)
    return parsed


def csv_read(data: bytes, encoding: str | None = None) -> ParsedFile:
    """Any CSV file a school sends: decoded (see ``file_decode``), split with the delimiter its
    header uses, the header's names stripped and lower-cased, blank lines skipped, each row with
    its line number. A file that cannot be read is refused as a whole (ApplicationError)."""
    if not data.strip():
        raise _refused(_("The file is empty."))
    text, used = file_decode(data, encoding)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    last_line = 0
    try:
        for fields in reader:
            line, last_line = last_line + 1, reader.line_num
            if not any(value.strip() for value in fields):
                continue
            if header is None:
                header = [name.strip().lower() for name in fields]
            else:
                rows.append((line, fields))
    except csv.Error as error:
        raise _refused(
            _("Line %(line)d of the file cannot be read: %(error)s")
            % {"line": reader.line_num, "error": error}
        ) from error
    if header is None:
        raise _refused(_("The file is empty."))
    return ParsedFile(encoding=used, columns=header, rows=rows)


def _check_header(header: list[str]) -> None:
    unknown = [name for name in header if name not in COLUMNS]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    repeated = sorted({name for name in header if header.count(name) > 1})
    if unknown or missing or repeated:
        raise _refused(
            _(
                "The first line must name the columns, from: %(expected)s (username is "
                "required, each at most once). This file has: %(found)s."
            )
            % {"expected": ", ".join(COLUMNS), "found": ", ".join(header) or "-"}
        )


# --- planning -------------------------------------------------------------------------------
def _batches(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), BATCH_SIZE):
        yield items[start : start + BATCH_SIZE]


def _people_by_username(usernames: Iterable[str]) -> dict[str, User]:
    found: dict[str, User] = {}
    for batch in _batches(sorted(set(usernames))):
        people = (
            User.objects.select_related("school")
            .alias(username_lower=Lower("username"))
            .filter(username_lower__in=batch)
        )
        found.update({person.username.lower(): person for person in people})
    return found


def _emails_taken(emails: Iterable[str]) -> set[str]:
    taken: set[str] = set()
    for batch in _batches(sorted(set(emails))):
        taken.update(
            email.lower()
            for email in User.objects.alias(email_lower=Lower("email"))
            .filter(email_lower__in=batch)
            .values_list("email", flat=True)
        )
    return taken


def _schools_by_code(codes: Iterable[str]) -> dict[str, School]:
    wanted = sorted({code.lower() for code in codes if code})
    if not wanted:
        return {}
    schools = (
        School.objects.select_related("region")
        .alias(code_lower=Lower("code"))
        .filter(code_lower__in=wanted)
    )
    return {school.code.lower(): school for school in schools}


def _rows_read(parsed: ParsedFile) -> list[ImportRow]:
    width = len(parsed.columns)
    where = parsed.columns.index("username")
    rows = []
    for line, fields in parsed.rows:
        values = [value.strip() for value in fields]
        row = ImportRow(line=line, username=values[where] if where < len(values) else "")
        if len(values) != width:
            row.refuse(
                "row",
                _("This line has %(found)d fields; the header has %(expected)d.")
                % {"found": len(values), "expected": width},
            )
        else:
            row.values = dict(zip(parsed.columns, values, strict=True))
            row.username = User.normalize_username(row.values["username"])
            if not row.username:
                row.refuse("username", _("Give the pupil's username."))
        rows.append(row)
    return rows


def _mark_repeats(rows: list[ImportRow], column: str, message: str) -> None:
    """The second and later rows with the same value (whatever its case) are errors."""
    first_line: dict[str, int] = {}
    for row in rows:
        value = row.values.get(column, "").lower()
        if not value:
            continue
        if value in first_line:
            row.refuse(column, message % {"line": first_line[value]})
        else:
            first_line[value] = row.line


def _plan_existing(
    row: ImportRow, person: User, *, cohort: Cohort, by: User, enrolled: set[int]
) -> None:
    row.student = person
    # Someone the importer does not manage gets one answer, whoever they are: whether they are
    # a student, active or already in this class is not the importer's to learn.
    if not accounts_policies.can_manage_person(by, person):
        row.refuse("username", _("You cannot enrol this student in this class."))
    elif person.role != Role.STUDENT:
        row.refuse("username", _("This username belongs to a person who is not a student."))
    elif person.pk in enrolled:
        row.action = Action.ALREADY_ENROLLED
    elif not person.is_active:
        row.refuse("username", _("This student's account is deactivated."))
    elif not policies.can_enrol(by, cohort, person):
        row.refuse("username", _("You cannot enrol this student in this class."))
    else:
        row.action = Action.ENROL


def _plan_new(
    row: ImportRow,
    *,
    cohort: Cohort,
    by: User,
    schools: dict[str, School],
    emails_taken: set[str],
) -> None:
    values = row.values
    person = User(
        username=row.username,
        first_name=values.get("first_name", ""),
        last_name=values.get("last_name", ""),
        email=values.get("email", ""),
        role=Role.STUDENT,
    )
    person.clean()  # normalises the e-mail's domain, as the sign-up form would
    try:
        person.clean_fields(exclude=_UNCHECKED_FIELDS)
    except DjangoValidationError as error:
        for name, messages in error.message_dict.items():
            for message in messages:
                row.refuse(name, message)
    code = values.get("school", "")
    school = schools.get(code.lower())
    if not code:
        row.refuse("school", _("Give the school's code for a new pupil."))
    elif school is None:
        row.refuse("school", _("No school has the code %(code)s.") % {"code": code})
    else:
        person.school = school
        person.time_zone = school.time_zone
        if not accounts_policies.can_place_in_school(by, school):
            row.refuse("school", _("You cannot add people to this school."))
        elif not policies.can_enrol(by, cohort, person):
            row.refuse("school", _("You cannot enrol pupils of this school in this class."))
    if person.email and person.email.lower() in emails_taken:
        row.refuse("email", _("This e-mail address cannot be used."))
    password = values.get("password", "")
    if password:
        try:
            validate_password(password, user=person)
        except DjangoValidationError as error:
            for message in error.messages:
                row.refuse("password", message)
    row.student = person
    if not row.errors:
        row.action = Action.CREATE


def _plan(
    parsed: ParsedFile, *, cohort: Cohort, by: User, progress: Progress | None
) -> list[ImportRow]:
    """What would happen to each row; only reads the database, a few queries per batch."""
    rows = _rows_read(parsed)
    readable = [row for row in rows if not row.errors]
    _mark_repeats(readable, "username", _("This username is also on line %(line)d."))
    people = _people_by_username(row.username.lower() for row in readable)
    enrolled = set(Enrolment.objects.filter(cohort=cohort).values_list("student_id", flat=True))
    new = [row for row in readable if row.username.lower() not in people]
    _mark_repeats(new, "email", _("This e-mail address is also on line %(line)d."))
    schools = _schools_by_code(row.values.get("school", "") for row in new)
    emails_taken = _emails_taken(
        row.values["email"].lower() for row in new if row.values.get("email")
    )
    for done, row in enumerate(rows, start=1):
        if row.values and "username" not in row.errors:
            person = people.get(row.username.lower())
            if person is not None:
                _plan_existing(row, person, cohort=cohort, by=by, enrolled=enrolled)
            else:
                _plan_new(row, cohort=cohort, by=by, schools=schools, emails_taken=emails_taken)
        if progress is not None:
            progress("plan", done, len(rows))
    return rows


# --- applying -------------------------------------------------------------------------------
def password_generate() -> str:
    groups = (
        "".join(secrets.choice(READABLE_ALPHABET) for _ in range(PASSWORD_GROUP_LENGTH))
        for _group in range(PASSWORD_GROUPS)
    )
    return "-".join(groups)


def _hash_passwords(people: list[tuple[User, str]], progress: Progress | None) -> None:
    """Hash on every core, with the cheaper initial-password hasher (upgraded to full
    strength at each person's first sign-in; docs/decisions/0007): at full strength a file of
    10,000 pupils would take about an hour."""
    workers = min(len(people), os.cpu_count() or 1) or 1
    with ThreadPoolExecutor(max_workers=workers) as pool:
        hasher = BulkInitialPasswordHasher()
        hashed = pool.map(lambda pair: make_password(pair[1], hasher=hasher), people)
        for done, ((person, _password), encoded) in enumerate(
            zip(people, hashed, strict=True), start=1
        ):
            person.password = encoded
            if progress is not None:
                progress("passwords", done, len(people))


def _apply(rows: list[ImportRow], *, cohort: Cohort, by: User, progress: Progress | None) -> None:
    creating = [row for row in rows if row.action == Action.CREATE]
    new_people: list[tuple[User, str]] = []
    for row in creating:
        person = row.student
        if person is None:  # _plan_new sets it on every "create" row
            raise RuntimeError(f"line {row.line}: no person planned")
        password = row.values.get("password", "")
        if not password:
            password = row.password = password_generate()
        new_people.append((person, password))
    _hash_passwords(new_people, progress)
    try:
        with transaction.atomic():
            User.objects.bulk_create(
                [person for person, _password in new_people], batch_size=BATCH_SIZE
            )
    except IntegrityError as error:
        raise ApplicationError(
            "conflict",
            _(
                "Someone saved one of these usernames or e-mails a moment ago; run the import "
                "again."
            ),
            status_code=409,
        ) from error
    if any(person.pk is None for person, _password in new_people):  # no ids returned
        saved = _people_by_username(person.username.lower() for person, _password in new_people)
        for person, _password in new_people:
            person.pk = saved[person.username.lower()].pk
    enrolling = [row for row in rows if row.action in (Action.CREATE, Action.ENROL)]
    enrolments = [
        Enrolment(cohort=cohort, student=row.student, enrolled_by=by) for row in enrolling
    ]
    for start in range(0, len(enrolments), BATCH_SIZE):
        # A concurrent enrolment of the same pupil is the same outcome, not a conflict.
        Enrolment.objects.bulk_create(
            enrolments[start : start + BATCH_SIZE], batch_size=BATCH_SIZE, ignore_conflicts=True
        )
        if progress is not None:
            progress("enrol", min(start + BATCH_SIZE, len(enrolments)), len(enrolments))


def enrolment_import(
    *,
    cohort: Cohort,
    by: User,
    data: bytes,
    encoding: str | None = None,
    apply: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Check a CSV file of pupils against ``cohort`` and, with ``apply``, enrol them all (new
    people created as students of the school in their row) or, if any row has an error, none.
    A file that cannot be read at all raises ApplicationError; row errors are in the report."""
    if not can_import_into(by, cohort):
        raise PermissionDenied
    parsed = file_parse(data, encoding)
    mode = "apply" if apply else "dry-run"
    if not apply:
        rows = _plan(parsed, cohort=cohort, by=by, progress=progress)
        return ImportReport(encoding=parsed.encoding, mode=mode, applied=False, rows=rows)
    with transaction.atomic():
        rows = _plan(parsed, cohort=cohort, by=by, progress=progress)
        report = ImportReport(encoding=parsed.encoding, mode=mode, applied=False, rows=rows)
        if report.has_errors:
            return report
        _apply(rows, cohort=cohort, by=by, progress=progress)
        report.applied = True
        run = notices.import_run()
        enrolled = [
            row.student
            for row in rows
            if row.action in (Action.CREATE, Action.ENROL) and row.student is not None
        ]
        notices.enrolled(cohort=cohort, students=enrolled, occasion=f"import-{run}")
        notices.import_finished(cohort=cohort, by=by, counts=report.counts, run=run)
    return report
