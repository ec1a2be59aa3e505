"""Server-rendered pages: sign-in and sign-out, lockout, CSRF, language, and the
administrators' pages for schools and people, guarded by the same policies as the API."""

import pytest
from django.test import Client
from django.urls import reverse

from lms.accounts.demo import DEMO_PASSWORD, demo_load
from lms.accounts.models import Role, School, User
from tests.conftest import World
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- signing in and out -------------------------------------------------------------------
def test_sign_in_lists_the_demo_accounts_only_when_the_demo_is_loaded(client: Client) -> None:
    page = client.get(reverse("frontend:sign-in")).content.decode()
    assert "demo-teacher" not in page
    demo_load()
    page = client.get(reverse("frontend:sign-in")).content.decode()
    assert "demo-teacher" in page
    assert DEMO_PASSWORD in page


def test_sign_in_then_out(client: Client) -> None:
    user = UserFactory(role=Role.TEACHER)
    response = client.post(
        reverse("frontend:sign-in"), {"username": user.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("frontend:home")).status_code == 200
    # sign-out by GET does nothing
    assert client.get(reverse("frontend:sign-out")).status_code == 405
    assert client.get(reverse("frontend:home")).status_code == 200
    # sign-out by POST does
    assert client.post(reverse("frontend:sign-out")).status_code == 302
    assert client.get(reverse("frontend:home")).status_code == 302


def test_a_wrong_password_shows_an_error_and_signs_nobody_in(client: Client) -> None:
    user = UserFactory()
    response = client.post(
        reverse("frontend:sign-in"), {"username": user.username, "password": "wrong-password"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert "_auth_user_id" not in client.session


def test_five_failures_lock_the_account_for_everyone_even_with_the_right_password(
    client: Client,
) -> None:
    user = UserFactory()
    for _ in range(4):
        response = client.post(
            reverse("frontend:sign-in"), {"username": user.username, "password": "wrong"}
        )
        assert response.status_code == 200
    fifth = client.post(reverse("frontend:sign-in"), {"username": user.username, "password": "x"})
    assert fifth.status_code == 429
    other_browser = Client()
    response = other_browser.post(
        reverse("frontend:sign-in"), {"username": user.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 429
    assert "15 minutes" in response.content.decode()
    assert "_auth_user_id" not in other_browser.session


def test_sign_in_without_a_csrf_token_is_refused() -> None:
    user = UserFactory()
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("frontend:sign-in"), {"username": user.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_sign_out_without_a_csrf_token_is_refused() -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    assert client.post(reverse("frontend:sign-out")).status_code == 403
    assert client.get(reverse("frontend:home")).status_code == 200


# --- language ------------------------------------------------------------------------------
def test_switching_language_is_remembered_for_the_person(client: Client) -> None:
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("frontend:language"), {"language": "ky", "next": "/"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.preferred_language == "ky"
    # on another device, without the cookie, the person still sees Kyrgyz
    other = _signed_in(user)
    page = other.get(reverse("frontend:home")).content.decode()
    assert '<html lang="ky">' in page


def test_a_visitor_can_switch_language_before_signing_in(client: Client) -> None:
    client.post(reverse("frontend:language"), {"language": "ru", "next": "/sign-in/"})
    page = client.get(reverse("frontend:sign-in")).content.decode()
    assert '<html lang="ru">' in page


def test_an_unknown_language_changes_nothing(client: Client) -> None:
    user = UserFactory(preferred_language="ru")
    client.force_login(user)
    client.post(reverse("frontend:language"), {"language": "xx", "next": "/"})
    user.refresh_from_db()
    assert user.preferred_language == "ru"


# --- home pages per role -------------------------------------------------------------------
@pytest.mark.parametrize(
    "who",
    [
        "platform_admin",
        "region_admin_a",
        "school_admin_a1",
        "teacher_a1",
        "facilitator_a1",
        "student_a1",
    ],
)
def test_each_role_has_its_home_page(world: World, who: str) -> None:
    user: User = getattr(world, who)
    page = _signed_in(user).get(reverse("frontend:home")).content.decode()
    assert f'data-role="{user.role}"' in page


def test_the_region_home_page_shows_only_the_region_schools(world: World) -> None:
    page = _signed_in(world.region_admin_a).get(reverse("frontend:home")).content.decode()
    assert world.school_a1.name in page
    assert world.school_a2.name in page
    assert world.school_b1.name not in page


# --- pages of schools and people: who may open what ----------------------------------------
PAGE_CASES = [
    # (who, url name, object, expected status)
    ("platform_admin", "school-list", None, 200),
    ("region_admin_a", "school-list", None, 200),
    ("school_admin_a1", "school-list", None, 200),
    ("teacher_a1", "school-list", None, 403),
    ("student_a1", "school-list", None, 403),
    ("region_admin_a", "school-create", None, 200),
    ("school_admin_a1", "school-create", None, 403),
    ("region_admin_a", "school-edit", "school_a2", 200),
    ("region_admin_a", "school-edit", "school_b1", 404),
    ("region_admin_b", "school-edit", "school_b1", 200),
    ("school_admin_a1", "school-edit", "school_a1", 403),
    ("school_admin_a1", "school-edit", "school_a2", 404),
    ("platform_admin", "person-list", None, 200),
    ("region_admin_a", "person-list", None, 200),
    ("school_admin_a1", "person-list", None, 200),
    ("teacher_a1", "person-list", None, 403),
    ("facilitator_a1", "person-list", None, 403),
    ("student_a1", "person-list", None, 403),
    ("school_admin_a1", "person-create", None, 200),
    ("teacher_a1", "person-create", None, 403),
    ("school_admin_a1", "person-edit", "student_a1", 200),
    ("school_admin_a1", "person-edit", "teacher_a1", 200),
    ("school_admin_a1", "person-edit", "student_a2", 404),
    ("school_admin_a1", "person-edit", "student_b1", 404),
    ("school_admin_a1", "person-edit", "school_admin_a1", 403),
    ("region_admin_a", "person-edit", "school_admin_a1", 200),
    ("region_admin_a", "person-edit", "student_a2", 200),
    ("region_admin_a", "person-edit", "student_b1", 404),
    ("region_admin_a", "person-edit", "region_admin_b", 404),
    ("teacher_a1", "person-edit", "student_a1", 404),
    ("student_a1", "person-edit", "student_a1", 403),
    ("platform_admin", "person-edit", "region_admin_b", 200),
]


@pytest.mark.parametrize(
    ("who", "name", "target", "expected"),
    PAGE_CASES,
    ids=[f"{who}-{name}-{target or 'none'}" for who, name, target, _ in PAGE_CASES],
)
def test_page_access(world: World, who: str, name: str, target: str | None, expected: int) -> None:
    args = [getattr(world, target).pk] if target else []
    response = _signed_in(getattr(world, who)).get(reverse(f"frontend:{name}", args=args))
    assert response.status_code == expected


def test_the_people_page_lists_only_the_school_people(world: World) -> None:
    page = _signed_in(world.school_admin_a1).get(reverse("frontend:person-list"))
    listed = {person.pk for person in page.context["page"]}
    assert listed == set(User.objects.filter(school=world.school_a1).values_list("pk", flat=True))


def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    for name in ("home", "school-list", "person-list", "person-create"):
        response = client.get(reverse(f"frontend:{name}"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("frontend:sign-in"))


# --- writing through pages -----------------------------------------------------------------
def test_a_school_admin_adds_a_student_through_the_page(world: World) -> None:
    client = _signed_in(world.school_admin_a1)
    response = client.post(
        reverse("frontend:person-create"),
        {
            "username": "new-pupil",
            "first_name": "Айбек",
            "last_name": "Сыдыков",
            "role": Role.STUDENT,
            "school": world.school_a1.pk,
            "time_zone": "Asia/Bishkek",
            "password": "a-strong-passphrase-2026",
            "phone": "+996 555 123 456",
        },
    )
    assert response.status_code == 302
    pupil = User.objects.get(username="new-pupil")
    assert pupil.school == world.school_a1
    assert pupil.check_password("a-strong-passphrase-2026")
    assert str(pupil.phone) == "+996555123456"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"password": "12345678"}, "password"),
        ({"role": Role.SCHOOL_ADMIN}, "role"),
        ({"phone": "12"}, "phone"),
        ({"email": "not-an-email"}, "email"),
        ({"username": "has spaces"}, "username"),
    ],
)
def test_bad_input_on_the_person_page_shows_the_error_and_writes_nothing(
    world: World, change: dict[str, str], field: str
) -> None:
    client = _signed_in(world.school_admin_a1)
    before = User.objects.count()
    data = {
        "username": "new-pupil",
        "first_name": "A",
        "last_name": "B",
        "role": Role.STUDENT,
        "school": world.school_a1.pk,
        "time_zone": "Asia/Bishkek",
        "password": "a-strong-passphrase-2026",
        **change,
    }
    response = client.post(reverse("frontend:person-create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors.get(field), response.context["form"].errors
    assert User.objects.count() == before


def test_a_school_admin_cannot_place_a_person_in_another_school(world: World) -> None:
    client = _signed_in(world.school_admin_a1)
    response = client.post(
        reverse("frontend:person-create"),
        {
            "username": "intruder",
            "first_name": "A",
            "last_name": "B",
            "role": Role.STUDENT,
            "school": world.school_b1.pk,
            "time_zone": "Asia/Bishkek",
            "password": "a-strong-passphrase-2026",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors.get("school")
    assert not User.objects.filter(username="intruder").exists()


def test_deactivate_and_reactivate_through_the_page(world: World) -> None:
    client = _signed_in(world.school_admin_a1)
    url = reverse("frontend:person-set-active", args=[world.student_a1.pk])
    assert client.get(url).status_code == 405
    client.post(url, {"active": "0"})
    world.student_a1.refresh_from_db()
    assert not world.student_a1.is_active
    client.post(url, {"active": "1"})
    world.student_a1.refresh_from_db()
    assert world.student_a1.is_active


def test_a_school_admin_cannot_deactivate_someone_of_another_school(world: World) -> None:
    client = _signed_in(world.school_admin_a1)
    url = reverse("frontend:person-set-active", args=[world.student_b1.pk])
    assert client.post(url, {"active": "0"}).status_code == 404
    world.student_b1.refresh_from_db()
    assert world.student_b1.is_active


def test_a_region_admin_adds_a_school_and_a_duplicate_code_is_explained(world: World) -> None:
    client = _signed_in(world.region_admin_a)
    data = {
        "name": "Жаңы мектеп",
        "code": "kg-new-1",
        "region": world.region_a.pk,
        "locality": "remote",
        "languages": ["ky", "ru"],
        "time_zone": "Asia/Bishkek",
    }
    assert client.post(reverse("frontend:school-create"), data).status_code == 302
    assert School.objects.get(code="kg-new-1").languages == ["ky", "ru"]
    response = client.post(reverse("frontend:school-create"), {**data, "name": "Other"})
    assert response.status_code == 200
    assert response.context["form"].errors.get("code")
    assert School.objects.filter(code="kg-new-1").count() == 1


def test_a_region_admin_cannot_add_a_school_to_another_region(world: World) -> None:
    client = _signed_in(world.region_admin_a)
    response = client.post(
        reverse("frontend:school-create"),
        {
            "name": "X",
            "code": "kg-x",
            "region": world.region_b.pk,
            "locality": "rural",
            "languages": ["ky"],
            "time_zone": "Asia/Bishkek",
        },
    )
    assert response.status_code == 200
    assert not School.objects.filter(code="kg-x").exists()


# --- the Django admin asks the same policies ------------------------------------------------
def test_the_admin_is_for_administrators_only(world: World) -> None:
    assert _signed_in(world.region_admin_a).get("/admin/").status_code == 200
    assert _signed_in(world.school_admin_a1).get("/admin/").status_code == 200
    teacher = _signed_in(world.teacher_a1)
    response = teacher.get("/admin/", follow=True)
    assert response.status_code == 403  # signed in, not an administrator: refused, no loop
    anonymous = Client().get("/admin/", follow=True)
    assert anonymous.redirect_chain[-1][0].startswith(reverse("frontend:sign-in"))
    assert anonymous.status_code == 200


def test_the_admin_lists_only_what_the_administrator_may_see(world: World) -> None:
    response = _signed_in(world.school_admin_a1).get("/admin/accounts/user/")
    assert response.status_code == 200
    shown = {person.pk for person in response.context["cl"].result_list}
    assert shown == set(User.objects.filter(school=world.school_a1).values_list("pk", flat=True))
    other = _signed_in(world.school_admin_a1).get(
        f"/admin/accounts/user/{world.student_b1.pk}/change/"
    )
    assert other.status_code == 302  # the admin redirects for objects outside the queryset


def test_a_region_admin_edits_a_school_in_the_admin_through_the_service(world: World) -> None:
    client = _signed_in(world.region_admin_a)
    url = f"/admin/accounts/school/{world.school_a2.pk}/change/"
    data = {
        "region": world.region_a.pk,
        "name": "A2 renamed",
        "code": world.school_a2.code,
        "locality": "urban",
        "languages": ["ru"],
        "time_zone": "Asia/Bishkek",
    }
    assert client.post(url, data).status_code == 302
    world.school_a2.refresh_from_db()
    assert world.school_a2.name == "A2 renamed"
    # moving it to another region is refused by the service, on the form
    response = client.post(url, {**data, "region": world.region_b.pk})
    assert response.status_code == 200
    world.school_a2.refresh_from_db()
    assert world.school_a2.region == world.region_a


def test_editing_someone_in_an_unusual_time_zone_keeps_it(world: World) -> None:
    # given a student whose zone was set through the API to one the pages do not list
    world.student_a1.time_zone = "Asia/Almaty"
    world.student_a1.save()
    client = _signed_in(world.school_admin_a1)
    url = reverse("frontend:person-edit", args=[world.student_a1.pk])
    # when the administrator opens the form and saves it unchanged
    form = client.get(url).context["form"]
    data = {name: value for name, value in form.initial.items() if value not in (None, "")}
    response = client.post(url, data)
    # then the zone is kept
    assert response.status_code == 302, response.context["form"].errors
    world.student_a1.refresh_from_db()
    assert world.student_a1.time_zone == "Asia/Almaty"


def test_filtering_people_with_htmx_returns_only_the_table(world: World) -> None:
    client = _signed_in(world.school_admin_a1)
    response = client.get(
        reverse("frontend:person-list"), {"role": Role.TEACHER}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.startswith('<div id="people">')
    assert world.teacher_a1.username in html
    assert world.student_a1.username not in html


def test_filtering_people_without_javascript_returns_the_whole_page(world: World) -> None:
    client = _signed_in(world.school_admin_a1)
    response = client.get(reverse("frontend:person-list"), {"q": world.student_a1.username})
    html = response.content.decode()
    assert "<html" in html
    assert world.student_a1.username in html
    assert world.teacher_a1.username not in html


def test_the_admin_school_form_offers_every_language(world: World) -> None:
    # a Kyrgyz-only school must survive a save in the admin
    world.school_a2.languages = ["ky"]
    world.school_a2.save()
    client = _signed_in(world.region_admin_a)
    url = f"/admin/accounts/school/{world.school_a2.pk}/change/"
    offered = dict(client.get(url).context["adminform"].form.fields["languages"].choices)
    assert set(offered) == {"ky", "ru", "en", "mn"}
    data = {
        "region": world.region_a.pk,
        "name": world.school_a2.name,
        "code": world.school_a2.code,
        "locality": world.school_a2.locality,
        "languages": ["ky"],
        "time_zone": "Asia/Bishkek",
    }
    assert client.post(url, data).status_code == 302
    world.school_a2.refresh_from_db()
    assert world.school_a2.languages == ["ky"]


def test_demo_accounts_are_never_listed_in_production(client: Client, settings) -> None:
    demo_load()
    settings.PRODUCTION = True
    page = client.get(reverse("frontend:sign-in")).content.decode()
    assert "demo-teacher" not in page
    assert DEMO_PASSWORD not in page


def test_a_nul_byte_in_the_people_search_is_harmless(world: World) -> None:
    client = _signed_in(world.school_admin_a1)
    response = client.get(reverse("frontend:person-list"), {"q": "a\x00b"})
    assert response.status_code == 200


def test_htmx_history_restore_gets_the_whole_page(world: World) -> None:
    client = _signed_in(world.school_admin_a1)
    response = client.get(
        reverse("frontend:person-list"),
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in response.content.decode()
    assert "HX-Request" in response["Vary"]
