"""The services of accounts, called directly, and the database constraints behind them."""

from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken

from lms.accounts import services
from lms.accounts.models import Region, Role, School, User
from lms.errors import ApplicationError
from tests.accounts.expectations import database_state
from tests.conftest import World
from tests.factories import TEST_PASSWORD, UserFactory

NEW_PASSWORD = "another-Long-passphrase-2026"


def writes_in(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


# --- deactivation ---------------------------------------------------------------------------
def test_deactivate_then_reactivate(world: World) -> None:
    # given an active student
    student = world.student_a1
    # when their school administrator deactivates them
    services.person_set_active(person=student, by=world.school_admin_a1, active=False)
    # then they are inactive in the database
    student.refresh_from_db()
    assert student.is_active is False
    # when reactivated
    services.person_set_active(person=student, by=world.school_admin_a1, active=True)
    # then they are active again, and can sign in with the same password
    student.refresh_from_db()
    assert student.is_active is True
    assert student.check_password(TEST_PASSWORD)


@pytest.mark.parametrize("active", [False, True], ids=["deactivate", "reactivate"])
def test_setting_the_same_state_twice_writes_nothing_the_second_time(
    world: World, active: bool
) -> None:
    # given a person already in the wanted state
    student = world.student_a1
    services.person_set_active(person=student, by=world.platform_admin, active=active)
    token_count = AuthToken.objects.count()
    # when the same call comes again
    with CaptureQueriesContext(connection) as queries:
        result = services.person_set_active(person=student, by=world.platform_admin, active=active)
    # then nothing is written and the state is the same
    assert writes_in(queries) == []
    assert result.is_active is active
    student.refresh_from_db()
    assert student.is_active is active
    assert AuthToken.objects.count() == token_count


def test_deactivation_revokes_every_api_token_of_the_person_only(world: World) -> None:
    # given two tokens of the student and one of a classmate
    AuthToken.objects.create(world.student_a1)
    AuthToken.objects.create(world.student_a1)
    AuthToken.objects.create(world.teacher_a1)
    # when the student is deactivated
    services.person_set_active(person=world.student_a1, by=world.school_admin_a1, active=False)
    # then their tokens are gone and the classmate's is not
    assert not AuthToken.objects.filter(user=world.student_a1).exists()
    assert AuthToken.objects.filter(user=world.teacher_a1).count() == 1


def test_reactivation_does_not_bring_tokens_back(world: World) -> None:
    AuthToken.objects.create(world.student_a1)
    services.person_set_active(person=world.student_a1, by=world.platform_admin, active=False)
    services.person_set_active(person=world.student_a1, by=world.platform_admin, active=True)
    assert not AuthToken.objects.filter(user=world.student_a1).exists()


@pytest.mark.parametrize(
    ("actor", "target"),
    [
        pytest.param("school_admin_a1", "school_admin_a1", id="oneself"),
        pytest.param("school_admin_a1", "school_admin_a2", id="another-school-admin"),
        pytest.param("school_admin_a1", "student_a2", id="another-school"),
        pytest.param("region_admin_a", "student_b1", id="another-region"),
        pytest.param("region_admin_a", "region_admin_b", id="a-region-admin"),
        pytest.param("teacher_a1", "student_a1", id="teacher-on-their-student"),
    ],
)
def test_deactivation_refused_outside_what_the_actor_manages(
    world: World, actor: str, target: str
) -> None:
    before = database_state()
    with pytest.raises(PermissionDenied):
        services.person_set_active(
            person=getattr(world, target), by=getattr(world, actor), active=False
        )
    assert database_state() == before


# --- creating and editing people ------------------------------------------------------------
def test_person_create_takes_the_time_zone_of_the_school(world: World) -> None:
    world.school_a1.time_zone = "Asia/Hovd"
    world.school_a1.save()
    person = services.person_create(
        by=world.school_admin_a1,
        password=NEW_PASSWORD,
        username="newcomer",
        first_name="New",
        last_name="Comer",
        role=Role.STUDENT,
        school=world.school_a1,
    )
    person.refresh_from_db()
    assert person.time_zone == "Asia/Hovd"
    assert person.check_password(NEW_PASSWORD)


@pytest.mark.parametrize(
    ("actor", "fields", "refused_field"),
    [
        pytest.param(
            "school_admin_a1",
            {"role": Role.SCHOOL_ADMIN, "school": "school_a1"},
            "role",
            id="school-admin-makes-school-admin",
        ),
        pytest.param(
            "school_admin_a1",
            {"role": Role.STUDENT, "school": "school_a2"},
            "school",
            id="school-admin-places-in-other-school",
        ),
        pytest.param(
            "region_admin_a",
            {"role": Role.TEACHER, "school": "school_b1"},
            "school",
            id="region-admin-places-in-other-region",
        ),
        pytest.param(
            "region_admin_a",
            {"role": Role.REGION_ADMIN, "region": "region_a"},
            "role",
            id="region-admin-makes-region-admin",
        ),
        pytest.param(
            "platform_admin",
            {"role": Role.PLATFORM_ADMIN},
            "role",
            id="platform-admin-makes-platform-admin",
        ),
        pytest.param(
            "platform_admin", {"role": Role.STUDENT}, "school", id="student-without-school"
        ),
        pytest.param(
            "platform_admin", {"role": Role.REGION_ADMIN}, "region", id="region-admin-no-region"
        ),
        pytest.param(
            "platform_admin",
            {"role": Role.STUDENT, "school": "school_a1", "is_superuser": True},
            "is_superuser",
            id="field-not-assignable",
        ),
    ],
)
def test_person_create_refuses_a_placement_the_actor_may_not_give(
    world: World, actor: str, fields: dict[str, Any], refused_field: str
) -> None:
    # given
    values = {k: (getattr(world, v) if k in {"school", "region"} else v) for k, v in fields.items()}
    before = database_state()
    # when
    with pytest.raises(ApplicationError) as refusal:
        services.person_create(
            by=getattr(world, actor),
            password=NEW_PASSWORD,
            username="newcomer",
            first_name="New",
            last_name="Comer",
            **values,
        )
    # then
    assert refusal.value.code == "invalid"
    assert refusal.value.status_code == 400
    assert set(refusal.value.fields) == {refused_field}
    assert database_state() == before


@pytest.mark.parametrize("actor", ["teacher_a1", "facilitator_a1", "student_a1"])
def test_person_create_refused_for_people_who_are_not_administrators(
    world: World, actor: str
) -> None:
    with pytest.raises(PermissionDenied):
        services.person_create(
            by=getattr(world, actor),
            password=NEW_PASSWORD,
            username="newcomer",
            first_name="New",
            last_name="Comer",
            role=Role.STUDENT,
            school=world.school_a1,
        )
    assert not User.objects.filter(username="newcomer").exists()


def test_person_update_with_a_new_password(world: World) -> None:
    services.person_update(
        person=world.student_a1, by=world.school_admin_a1, data={}, password=NEW_PASSWORD
    )
    world.student_a1.refresh_from_db()
    assert world.student_a1.check_password(NEW_PASSWORD)


def test_a_region_admin_moved_into_a_school_loses_their_region(world: World) -> None:
    """The database allows a school role only without a region: the service clears it."""
    person = services.person_update(
        person=world.region_admin_b,
        by=world.platform_admin,
        data={"role": Role.TEACHER, "school": world.school_b1},
    )
    person.refresh_from_db()
    assert (person.role, person.school_id, person.region_id) == (
        Role.TEACHER,
        world.school_b1.pk,
        None,
    )


def test_a_username_taken_in_a_race_is_a_conflict(world: World) -> None:
    """When the checks passed but a concurrent request saved the same username first, the
    database refuses the row; the service answers 409 on ``username`` and writes nothing.
    The race is simulated by letting the checks see nothing of the other row."""
    before = database_state()
    with (
        mock.patch.object(services.people, "_check_unique_identity", autospec=True),
        mock.patch.object(User, "full_clean", autospec=True),
        pytest.raises(ApplicationError) as refusal,
    ):
        services.person_create(
            by=world.platform_admin,
            password=NEW_PASSWORD,
            username=world.student_a1.username.upper(),
            first_name="New",
            last_name="Comer",
            role=Role.STUDENT,
            school=world.school_a1,
        )
    assert (refusal.value.code, refusal.value.status_code) == ("conflict", 409), (
        refusal.value.fields
    )
    assert set(refusal.value.fields) == {"username"}
    assert database_state() == before


# --- regions and schools --------------------------------------------------------------------
def test_region_create_only_by_the_platform_admin(world: World) -> None:
    with pytest.raises(PermissionDenied):
        services.region_create(
            by=world.region_admin_a, name="Region C", code="region-c", time_zone="Asia/Bishkek"
        )
    region = services.region_create(
        by=world.platform_admin, name="Region C", code="region-c", time_zone="Asia/Hovd"
    )
    assert Region.objects.get(code="region-c").pk == region.pk


def test_school_create_takes_the_time_zone_of_its_region(world: World) -> None:
    world.region_b.time_zone = "Asia/Ulaanbaatar"
    world.region_b.save()
    school = services.school_create(
        by=world.region_admin_b,
        region=world.region_b,
        name="New school",
        code="new-school",
        locality="remote",
        languages=["mn"],
    )
    school.refresh_from_db()
    assert school.time_zone == "Asia/Ulaanbaatar"


def test_region_admin_cannot_create_a_school_in_another_region(world: World) -> None:
    before = database_state()
    with pytest.raises(ApplicationError) as refusal:
        services.school_create(
            by=world.region_admin_a,
            region=world.region_b,
            name="New school",
            code="new-school",
            locality="urban",
            languages=["ky"],
        )
    assert set(refusal.value.fields) == {"region"}
    assert database_state() == before


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"name": "Renamed"}, id="rename"),
        pytest.param({"region": "region_b"}, id="move-to-other-region"),
    ],
)
def test_region_admin_cannot_edit_a_school_of_another_region(
    world: World, data: dict[str, Any]
) -> None:
    values = {k: (getattr(world, v) if k == "region" else v) for k, v in data.items()}
    with pytest.raises((PermissionDenied, ApplicationError)):
        services.school_update(school=world.school_b1, by=world.region_admin_a, data=values)
    with pytest.raises(ApplicationError) as refusal:
        services.school_update(
            school=world.school_a1, by=world.region_admin_a, data={"region": world.region_b}
        )
    assert set(refusal.value.fields) == {"region"}
    world.school_a1.refresh_from_db()
    assert world.school_a1.region_id == world.region_a.pk


# --- one's own account ----------------------------------------------------------------------
def test_profile_update_refuses_fields_outside_the_profile(world: World) -> None:
    before = database_state()
    with pytest.raises(ApplicationError) as refusal:
        services.profile_update(
            user=world.student_a1, data={"first_name": "Me", "role": Role.PLATFORM_ADMIN}
        )
    assert set(refusal.value.fields) == {"role"}
    assert database_state() == before


def test_user_language_set(world: World) -> None:
    services.user_language_set(user=world.student_a1, language="mn")
    world.student_a1.refresh_from_db()
    assert world.student_a1.preferred_language == "mn"
    with pytest.raises(ApplicationError) as refusal:
        services.user_language_set(user=world.student_a1, language="fr")
    assert set(refusal.value.fields) == {"language"}


def test_password_change_refuses_a_wrong_old_password(world: World) -> None:
    with pytest.raises(ApplicationError) as refusal:
        services.password_change(
            user=world.student_a1, old_password="wrong-password", new_password=NEW_PASSWORD
        )
    assert set(refusal.value.fields) == {"old_password"}
    world.student_a1.refresh_from_db()
    assert world.student_a1.check_password(TEST_PASSWORD)


# --- the database's own constraints ---------------------------------------------------------
def _refused_by_database(make: Any) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"role": Role.STUDENT, "school": None}, id="student-without-school"),
        pytest.param({"role": Role.TEACHER, "school": None}, id="teacher-without-school"),
        pytest.param(
            {"role": Role.SCHOOL_ADMIN, "school": "school_a1", "region": "region_a"},
            id="school-admin-with-a-region-too",
        ),
        pytest.param({"role": Role.REGION_ADMIN, "school": None}, id="region-admin-no-region"),
        pytest.param(
            {"role": Role.REGION_ADMIN, "school": "school_a1", "region": "region_a"},
            id="region-admin-with-a-school",
        ),
        pytest.param(
            {"role": Role.PLATFORM_ADMIN, "school": None, "region": "region_a"},
            id="platform-admin-with-a-region",
        ),
        pytest.param(
            {"role": Role.TEACHER, "school": "school_a1", "is_superuser": True},
            id="superuser-who-is-a-teacher",
        ),
        pytest.param({"role": "janitor", "school": "school_a1"}, id="unknown-role"),
    ],
)
def test_database_refuses_a_person_whose_role_and_place_disagree(
    world: World, fields: dict[str, Any]
) -> None:
    values = {
        k: (getattr(world, v) if k in {"school", "region"} and v else v) for k, v in fields.items()
    }
    _refused_by_database(lambda: User.objects.create(username="newcomer", **values))
    assert not User.objects.filter(username="newcomer").exists()


def test_database_refuses_a_username_that_differs_only_in_case(world: World) -> None:
    _refused_by_database(
        lambda: UserFactory(username=world.student_a1.username.upper(), school=world.school_a1)
    )


def test_database_refuses_an_email_that_differs_only_in_case(world: World) -> None:
    UserFactory(email="pupil@example.org", school=world.school_a1)
    _refused_by_database(lambda: UserFactory(email="PUPIL@example.org", school=world.school_a1))


def test_database_allows_many_people_without_an_email(world: World) -> None:
    assert User.objects.filter(email="").count() == len(world.everyone())


def test_database_refuses_a_school_with_an_unknown_locality(world: World) -> None:
    _refused_by_database(
        lambda: School.objects.create(
            region=world.region_a, name="Odd", code="odd", locality="suburban", languages=["ky"]
        )
    )


def test_database_refuses_two_schools_of_one_name_in_one_region(world: World) -> None:
    _refused_by_database(
        lambda: School.objects.create(
            region=world.region_a, name="A1", code="a1-again", locality="urban", languages=["ky"]
        )
    )
    # the same name in another region is fine
    School.objects.create(
        region=world.region_b, name="A1", code="a1-in-b", locality="urban", languages=["mn"]
    )


def test_database_refuses_to_delete_a_school_with_people(world: World) -> None:
    with pytest.raises(ProtectedError), transaction.atomic():
        world.school_b1.delete()
    assert School.objects.filter(pk=world.school_b1.pk).exists()


def test_database_refuses_to_delete_a_region_with_schools(world: World) -> None:
    with pytest.raises(ProtectedError), transaction.atomic():
        world.region_b.delete()
    assert Region.objects.filter(pk=world.region_b.pk).exists()
