"""Bulk enrolment from a CSV file: the service, the API and the management command."""

from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from courses import imports
from courses.models import Cohort, Enrolment
from lms.accounts.models import Role, User
from lms.errors import ApplicationError
from tests.conftest import World
from tests.courses.csv_samples import (
    CYRILLIC_PUPILS,
    HEADER,
    csv_bytes,
    cyrillic_rows,
    database_state,
    pupil_rows,
    upload,
)
from tests.courses.factories import CohortFactory, EnrolmentFactory, TermFactory
from tests.factories import make_person

STRONG = "a-Long-pupil-passphrase-77"


@pytest.fixture
def cohort(world: World) -> Cohort:
    """A class of school A1 (region A), run by school_admin_a1 and region_admin_a."""
    return CohortFactory(term=TermFactory(school=world.school_a1), name="7A")


def run(
    cohort: Cohort, by: User, data: bytes, *, apply: bool = False, encoding: str | None = None
) -> imports.ImportReport:
    return imports.enrolment_import(cohort=cohort, by=by, data=data, apply=apply, encoding=encoding)


def by_line(report: imports.ImportReport) -> dict[int, imports.ImportRow]:
    return {row.line: row for row in report.rows}


def api_import(client: APIClient, cohort: Cohort, data: bytes, **fields: str) -> Any:
    body = {"file": upload(data), "mode": "dry-run", **fields}
    return client.post(reverse("api:class-import", args=[cohort.pk]), body, format="multipart")


def signed_in(person: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(person)
    return client


# --- what a dry run says, row by row ------------------------------------------------------------
def test_dry_run_says_what_would_happen_to_each_row_and_writes_nothing(
    world: World, cohort: Cohort
) -> None:
    # given a pupil already in the class, one who is not, and two new ones
    EnrolmentFactory(cohort=cohort, student=world.student_a1)
    pupil = User.objects.create(username="old.pupil", role=Role.STUDENT, school=world.school_a1)
    code = world.school_a1.code
    data = csv_bytes(
        [
            (world.student_a1.username, "", "", "", "", ""),
            ("OLD.PUPIL", "", "", "", "", ""),  # usernames match whatever their case
            ("new.one", "Aibek", "Asanov", code, "aibek@example.org", STRONG),
            ("new.two", "Aida", "Asanova", code, "", ""),
            ("new.three", "Nurlan", "Bekov", "no-such-school", "", ""),
        ]
    )
    before = database_state()
    # when
    report = run(cohort, world.school_admin_a1, data)
    # then
    assert database_state() == before
    assert report.mode == "dry-run"
    assert report.applied is False
    assert report.encoding == "utf-8"
    assert [(row.line, row.action) for row in report.rows] == [
        (2, "already enrolled"),
        (3, "enrol"),
        (4, "create"),
        (5, "create"),
        (6, "error"),
    ]
    assert by_line(report)[3].student == pupil
    assert by_line(report)[6].errors == {"school": ["No school has the code no-such-school."]}
    assert report.counts == {"create": 2, "enrol": 1, "already_enrolled": 1, "error": 1}
    assert all(row.password is None for row in report.rows)


def test_every_kind_of_row_error_is_reported_on_its_column(world: World, cohort: Cohort) -> None:
    a1, a2 = world.school_a1.code, world.school_a2.code
    User.objects.create(
        username="taken", email="taken@example.org", role=Role.STUDENT, school=world.school_a1
    )
    data = csv_bytes(
        [
            ("good", "A", "B", a1, "good@example.org", ""),  # line 2
            ("Good", "A", "B", a1, "", ""),  # 3: same username, other case
            ("bad.mail", "A", "B", a1, "not-an-address", ""),  # 4
            ("teacher", "", "", "", "", ""),  # 5 (renamed below to the teacher's username)
            ("weak", "A", "B", a1, "", "12345"),  # 6
            ("long", "A" * 151, "B", a1, "", ""),  # 7
            ("elsewhere", "A", "B", a2, "", ""),  # 8: school A2 is not school_admin_a1's
            (world.student_b1.username, "", "", "", "", ""),  # 9: a pupil of another region
            ("no.school", "A", "B", "", "", ""),  # 10
            ("dup.mail", "A", "B", a1, "GOOD@example.org", ""),  # 11
            ("reused.mail", "A", "B", a1, "taken@example.org", ""),  # 12
            ("bad name!", "A", "B", a1, "", ""),  # 13
        ]
    ).replace(b"\r\nteacher,", b"\r\n" + world.teacher_a1.username.encode() + b",")
    report = run(cohort, world.school_admin_a1, data)
    rows = by_line(report)
    assert rows[2].action == "create"
    assert rows[3].errors == {"username": ["This username is also on line 2."]}
    assert list(rows[4].errors) == ["email"]
    assert rows[5].errors == {
        "username": ["This username belongs to a person who is not a student."]
    }
    assert list(rows[6].errors) == ["password"]
    assert len(rows[6].errors["password"]) >= 2  # too short, entirely numeric
    assert list(rows[7].errors) == ["first_name"]
    assert rows[8].errors == {"school": ["You cannot add people to this school."]}
    assert rows[9].errors == {"username": ["You cannot enrol this student in this class."]}
    assert rows[10].errors == {"school": ["Give the school's code for a new pupil."]}
    assert rows[11].errors == {"email": ["This e-mail address is also on line 2."]}
    assert rows[12].errors == {"email": ["This e-mail address cannot be used."]}
    assert list(rows[13].errors) == ["username"]
    assert report.counts["error"] == 11


def test_malformed_rows_are_errors_with_the_files_line_numbers(
    world: World, cohort: Cohort
) -> None:
    code = world.school_a1.code
    text = (
        "username,first_name,last_name,school\r\n"  # 1
        f"ok.one,A,B,{code}\r\n"  # 2
        "\r\n"  # 3: blank lines are skipped, but still counted
        "short,A\r\n"  # 4
        f"long,A,B,{code},extra\r\n"  # 5
        f'quoted,"Two\r\nlines",B,{code}\r\n'  # 6-7: one row over two lines
        f"ok.two,A,B,{code}\r\n"  # 8
    )
    report = run(cohort, world.school_admin_a1, text.encode())
    assert [(row.line, row.username, row.action) for row in report.rows] == [
        (2, "ok.one", "create"),
        (4, "short", "error"),
        (5, "long", "error"),
        (6, "quoted", "create"),
        (8, "ok.two", "create"),
    ]
    assert by_line(report)[4].errors == {"row": ["This line has 2 fields; the header has 4."]}
    assert by_line(report)[5].errors == {"row": ["This line has 5 fields; the header has 4."]}


@pytest.mark.parametrize(
    "header",
    [
        ("login", "first_name", "last_name"),  # no username column
        ("username", "first_name", "surname"),  # an unknown column
        ("username", "email", "Email"),  # a column twice
    ],
)
def test_wrong_column_names_refuse_the_whole_file(
    world: World, cohort: Cohort, header: tuple[str, ...]
) -> None:
    data = csv_bytes([("a", "b", "c")], header=header)
    with pytest.raises(ApplicationError) as refused:
        run(cohort, world.school_admin_a1, data)
    message = refused.value.message
    assert "username, first_name, last_name, school, email, password" in message
    assert ", ".join(name.lower() for name in header) in message
    assert refused.value.fields == {"file": [message]}


def test_header_names_ignore_case_spaces_and_order(world: World, cohort: Cohort) -> None:
    data = csv_bytes([(world.school_a1.code, "new.pupil")], header=(" School ", "USERNAME "))
    report = run(cohort, world.school_admin_a1, data)
    assert [(row.username, row.action) for row in report.rows] == [("new.pupil", "create")]


def test_semicolon_separated_files_from_excel_are_read(world: World, cohort: Cohort) -> None:
    data = csv_bytes(cyrillic_rows(world.school_a1.code), sep=";")
    report = run(cohort, world.school_admin_a1, data)
    assert report.counts["create"] == 5


# --- encodings ------------------------------------------------------------------------------
def test_windows_1251_file_with_cyrillic_names_is_detected_and_imported(
    world: World, cohort: Cohort
) -> None:
    data = csv_bytes(cyrillic_rows(world.school_a1.code), encoding="cp1251")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    report = run(cohort, world.school_admin_a1, data, apply=True)
    assert report.encoding == "windows-1251"
    assert report.applied is True
    aidai = User.objects.get(username="aidai.asanova")
    assert (aidai.first_name, aidai.last_name) == ("Айдай", "Асанова")
    assert set(
        Enrolment.objects.filter(cohort=cohort).values_list("student__last_name", flat=True)
    ) == {"Асанова", "Токторов", "Жумабаева", "Осмонов", "Садыкова"}


def test_utf8_with_bom_is_read_and_the_bom_is_not_part_of_the_header(
    world: World, cohort: Cohort
) -> None:
    data = csv_bytes(cyrillic_rows(world.school_a1.code), bom=True)
    report = run(cohort, world.school_admin_a1, data)
    assert report.encoding == "utf-8"
    assert report.counts["create"] == 5
    # and the caller may say so too
    assert run(cohort, world.school_admin_a1, data, encoding="utf-8").counts["create"] == 5


def test_a_file_not_valid_in_the_chosen_encoding_is_refused(world: World, cohort: Cohort) -> None:
    data = csv_bytes(cyrillic_rows(world.school_a1.code), encoding="cp1251")
    with pytest.raises(ApplicationError) as refused:
        run(cohort, world.school_admin_a1, data, encoding="utf-8")
    assert "not valid utf-8 text" in refused.value.message
    explicit = run(cohort, world.school_admin_a1, data, encoding="windows-1251")
    assert explicit.encoding == "windows-1251"
    assert by_line(explicit)[2].values["first_name"] == "Айдай"


def test_a_file_that_is_neither_utf8_nor_windows_1251_is_refused(
    world: World, cohort: Cohort
) -> None:
    # 0x98 is the one byte Windows-1251 leaves undefined; the rest is not UTF-8 either
    data = f"username\r\n{CYRILLIC_PUPILS[0][1]}\r\n".encode("cp1251") + b"\x98\xff\r\n"
    with pytest.raises(ApplicationError) as refused:
        run(cohort, world.school_admin_a1, data)
    assert refused.value.code == "invalid_file"


def test_an_empty_file_is_refused(world: World, cohort: Cohort) -> None:
    with pytest.raises(ApplicationError, match="empty"):
        run(cohort, world.school_admin_a1, b"\r\n \r\n")


# --- apply ----------------------------------------------------------------------------------
def test_apply_creates_students_enrols_everyone_and_returns_generated_passwords(
    world: World, cohort: Cohort
) -> None:
    code = world.school_a1.code
    data = csv_bytes(
        [
            (world.student_a1.username, "", "", "", "", ""),
            ("given.password", "A", "B", code, "given@example.org", STRONG),
            ("generated", "C", "D", code, "", ""),
        ]
    )
    report = run(cohort, world.school_admin_a1, data, apply=True)
    assert report.applied is True
    assert [row.action for row in report.rows] == ["enrol", "create", "create"]
    rows = by_line(report)
    assert rows[2].password is None
    assert rows[3].password is None  # the file gave it
    generated = rows[4].password
    assert generated is not None
    assert "password" not in rows[3].as_dict()
    assert rows[4].as_dict()["password"] == generated
    given, made = (
        User.objects.get(username="given.password"),
        User.objects.get(username="generated"),
    )
    assert given.check_password(STRONG)
    assert made.check_password(generated)
    for person in (given, made):
        assert (person.role, person.school, person.is_active) == (
            Role.STUDENT,
            world.school_a1,
            True,
        )
        assert person.time_zone == world.school_a1.time_zone
    enrolments = Enrolment.objects.filter(cohort=cohort)
    assert {e.student.username for e in enrolments} == {
        world.student_a1.username,
        "given.password",
        "generated",
    }
    assert {e.enrolled_by for e in enrolments} == {world.school_admin_a1}


def test_reimporting_the_same_file_changes_nothing(world: World, cohort: Cohort) -> None:
    data = csv_bytes(
        [
            *pupil_rows(3, school=world.school_a1.code),
            (world.student_a1.username, "", "", "", "", ""),
        ]
    )
    run(cohort, world.school_admin_a1, data, apply=True)
    before = database_state()
    again = run(cohort, world.school_admin_a1, data, apply=True)
    after = database_state()
    # the administrator is told of the second import too: that is its only trace
    told_before, told_after = (
        before.pop("notifications.Dispatch"),
        after.pop("notifications.Dispatch"),
    )
    assert told_after[:-1] == told_before
    assert [row[1] for row in told_after] == ["enrolled", "import_finished", "import_finished"]
    assert after == before
    assert {row.action for row in again.rows} == {"already enrolled"}
    assert again.counts == {"create": 0, "enrol": 0, "already_enrolled": 4, "error": 0}
    assert all(row.password is None for row in again.rows)


def test_apply_writes_nothing_when_any_row_fails(world: World, cohort: Cohort) -> None:
    rows = [*pupil_rows(50, school=world.school_a1.code), ("bad", "A", "B", "nowhere", "", "")]
    before = database_state()
    report = run(cohort, world.school_admin_a1, csv_bytes(rows), apply=True)
    assert database_state() == before
    assert report.applied is False
    assert report.counts == {"create": 50, "enrol": 0, "already_enrolled": 0, "error": 1}
    assert all(row.password is None for row in report.rows)


# --- size and queries -----------------------------------------------------------------------
def _apply_counting_queries(world: World, count: int, prefix: str) -> int:
    cohort = CohortFactory(term=TermFactory(school=world.school_a1), name=f"Big {prefix}")
    data = csv_bytes(pupil_rows(count, school=world.school_a1.code, prefix=prefix))
    with CaptureQueriesContext(connection) as queries:
        report = run(cohort, world.school_admin_a1, data, apply=True)
    assert report.applied is True
    assert report.counts["create"] == count
    assert Enrolment.objects.filter(cohort=cohort).count() == count
    return len(queries)


# Per 1,000 rows: two lookups of usernames and e-mails, the inserts (on SQLite, Django splits
# an insert of people into batches of 999 parameters: about 21 per 1,000 people; PostgreSQL
# needs 2), and the enrolments. A constant, however many rows: nothing is done per row.
QUERIES_PER_THOUSAND = 32
QUERIES_FIXED = 15


def test_ten_thousand_rows_apply_with_queries_bounded_per_thousand_rows(
    world: World, django_assert_max_num_queries: Any
) -> None:
    # (the time it takes is measured by bench/csv_import.py, not asserted here)
    small = _apply_counting_queries(world, 1_000, "s")
    large = _apply_counting_queries(world, 10_000, "l")
    assert small <= QUERIES_FIXED + QUERIES_PER_THOUSAND
    assert large <= QUERIES_FIXED + 10 * QUERIES_PER_THOUSAND
    assert large <= 10 * small  # grows with the batches, not faster
    # and a dry run of the same size does not insert at all: a handful of lookups
    cohort = CohortFactory(term=TermFactory(school=world.school_a1), name="Big dry")
    data = csv_bytes(pupil_rows(10_000, school=world.school_a1.code, prefix="d"))
    with django_assert_max_num_queries(QUERIES_FIXED + 2 * 12):
        run(cohort, world.school_admin_a1, data)


# --- who may import -------------------------------------------------------------------------
def test_api_dry_run_and_apply(world: World, cohort: Cohort) -> None:
    client = signed_in(world.school_admin_a1)
    data = csv_bytes(pupil_rows(2, school=world.school_a1.code))
    dry = api_import(client, cohort, data)
    assert dry.status_code == 200, dry.json()
    assert dry.json() == {
        "encoding": "utf-8",
        "mode": "dry-run",
        "applied": False,
        "counts": {"create": 2, "enrol": 0, "already_enrolled": 0, "error": 0},
        "rows": [
            {"line": 2, "username": "pupil00000", "action": "create", "errors": {}},
            {"line": 3, "username": "pupil00001", "action": "create", "errors": {}},
        ],
    }
    assert not Enrolment.objects.filter(cohort=cohort).exists()
    assert api_import(client, cohort, data, encoding="").json()["encoding"] == "utf-8"
    applied = api_import(client, cohort, data, mode="apply")
    assert applied.status_code == 200
    body = applied.json()
    assert body["applied"] is True
    assert all(len(row["password"]) == 14 for row in body["rows"])
    assert Enrolment.objects.filter(cohort=cohort).count() == 2


def test_api_refuses_an_unreadable_file_with_the_error_body(world: World, cohort: Cohort) -> None:
    client = signed_in(world.school_admin_a1)
    response = api_import(client, cohort, csv_bytes([("x",)], header=("login",)))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_file"
    assert "login" in body["message"]
    assert body["fields"] == {"file": [body["message"]]}
    wrong_encoding = csv_bytes(cyrillic_rows("x"), encoding="cp1251")
    response = api_import(client, cohort, wrong_encoding, encoding="utf-8")
    assert response.status_code == 400
    response = api_import(client, cohort, b"username\r\n", mode="everything")
    assert response.status_code == 400
    assert "mode" in response.json()["fields"]


def test_api_refuses_a_file_over_5_mb(world: World, cohort: Cohort) -> None:
    big = b"username\r\n" + b"x" * (5 * 1024 * 1024)
    response = api_import(signed_in(world.school_admin_a1), cohort, big)
    assert response.status_code == 400
    assert response.json()["code"] == "file_too_large"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("platform_admin", 200),
        ("region_admin_a", 200),
        ("school_admin_a1", 200),
        ("school_admin_a2", 200),  # enrols A2's pupils into region A's classes
        ("teacher", 403),  # teaches the class, but enrolment is for administrators
        ("student_a1", 403),  # in the class
        ("student_a2", 404),
        ("region_admin_b", 404),
        ("school_admin_b1", 404),
    ],
)
def test_who_may_import(world: World, cohort: Cohort, who: str, status: int) -> None:
    EnrolmentFactory(cohort=cohort, student=world.student_a1)
    person = cohort.teachers.get() if who == "teacher" else getattr(world, who)
    data = csv_bytes(pupil_rows(1, school=world.school_a1.code))
    before = database_state()
    response = api_import(signed_in(person), cohort, data, mode="apply")
    assert response.status_code == status, response.json()
    if status != 200:
        assert database_state() == before
        assert set(response.json()) == {"code", "message", "fields"}


def test_anonymous_is_asked_to_sign_in(cohort: Cohort) -> None:
    response = api_import(APIClient(), cohort, b"username\r\nx\r\n")
    assert response.status_code == 401


def test_the_service_refuses_someone_who_may_not_import(world: World, cohort: Cohort) -> None:
    with pytest.raises(PermissionDenied):
        run(cohort, world.teacher_a1, csv_bytes(pupil_rows(1, school=world.school_a1.code)))


# --- the management command -----------------------------------------------------------------
def test_command_dry_run_then_apply(world: World, cohort: Cohort, tmp_path: Any) -> None:
    path = tmp_path / "pupils.csv"
    path.write_bytes(csv_bytes(cyrillic_rows(world.school_a1.code), encoding="cp1251"))
    args = [str(cohort.pk), str(path), "--by", world.school_admin_a1.username]
    before = database_state()
    out, err = StringIO(), StringIO()
    call_command("enrolment_import", *args, stdout=out, stderr=err)
    assert database_state() == before
    assert "Encoding windows-1251. To create: 5, to enrol: 0" in out.getvalue()
    assert "Dry run: nothing was written" in out.getvalue()
    assert "aidai.asanova" not in out.getvalue()  # only errors by default

    out = StringIO()
    call_command("enrolment_import", *args, "--apply", stdout=out, stderr=StringIO())
    assert Enrolment.objects.filter(cohort=cohort).count() == 5
    assert "Applied" in out.getvalue()
    assert out.getvalue().count("password: ") == 5  # the generated ones, shown once


def test_command_exits_with_1_and_lists_errors(world: World, cohort: Cohort, tmp_path: Any) -> None:
    path = tmp_path / "pupils.csv"
    path.write_bytes(
        csv_bytes([*pupil_rows(2, school=world.school_a1.code), ("x", "", "", "nowhere", "", "")])
    )
    out = StringIO()
    before = database_state()
    with pytest.raises(CommandError) as failed:
        call_command(
            "enrolment_import",
            str(cohort.pk),
            str(path),
            "--by",
            world.school_admin_a1.username,
            "--apply",
            stdout=out,
            stderr=StringIO(),
        )
    assert failed.value.returncode == 1
    assert database_state() == before
    assert "line 4  x  error  school: No school has the code nowhere." in out.getvalue()
    assert "pupil00000" not in out.getvalue()


def test_command_refuses_an_administrator_of_another_region(
    world: World, cohort: Cohort, tmp_path: Any
) -> None:
    path = tmp_path / "pupils.csv"
    path.write_bytes(csv_bytes(pupil_rows(1, school=world.school_a1.code)))
    with pytest.raises(CommandError, match="sees no class"):
        call_command(
            "enrolment_import", str(cohort.pk), str(path), "--by", world.region_admin_b.username
        )


def test_header_only_file_is_an_empty_report(world: World, cohort: Cohort) -> None:
    report = run(cohort, world.school_admin_a1, csv_bytes([], header=HEADER), apply=True)
    assert report.rows == []
    assert report.applied is True


def test_people_the_importer_does_not_manage_all_get_the_same_refusal(world: World) -> None:
    # given a class of A1, in which a pupil of B1 (another region) is enrolled, and the
    # administrator of A1, who manages neither that pupil nor anyone of B1
    cohort = CohortFactory(term=TermFactory(school=world.school_a1), name="Mixed")
    EnrolmentFactory(cohort=cohort, student=world.student_b1)
    inactive = make_person(Role.STUDENT, school=world.school_b1)
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    strangers = [
        world.student_b1,  # enrolled already
        make_person(Role.STUDENT, school=world.school_b1),  # not enrolled
        inactive,
        make_person(Role.TEACHER, school=world.school_b1),  # not a student
        world.region_admin_b,
    ]
    data = csv_bytes([(person.username, "", "", "", "", "") for person in strangers])
    # when they check the file
    report = run(cohort, world.school_admin_a1, data)
    # then every row gets the same refusal: the file tells them nothing about these people
    answers = {(row.action, str(row.errors)) for row in report.rows}
    assert len(answers) == 1, answers
    assert report.counts["error"] == len(strangers)
