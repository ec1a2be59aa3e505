"""What each role may see and do in the ``world`` fixture, written out by hand from the rules of
the issue (not computed from ``policies``, so that a wrong policy cannot agree with itself),
and the checks every API answer in these tests shares.

Names are the attributes of ``tests.conftest.World``.
"""

from typing import Any

from django.db.models import Model
from knox.models import AuthToken
from rest_framework.response import Response

from lms.accounts.models import Region, School, User

# --- the viewers of the permission matrix: one of each role, all in school A1 / region A ----
VIEWERS = (
    "platform_admin",
    "region_admin_a",
    "school_admin_a1",
    "teacher_a1",
    "facilitator_a1",
    "student_a1",
)
SCHOOL_MEMBERS = ("school_admin_a1", "teacher_a1", "facilitator_a1", "student_a1")

# --- regions --------------------------------------------------------------------------------
REGIONS = ("region_a", "region_b")
VISIBLE_REGIONS: dict[str, set[str]] = {
    "platform_admin": {"region_a", "region_b"},
    "region_admin_a": {"region_a"},
    **{member: {"region_a"} for member in SCHOOL_MEMBERS},
}
MANAGED_REGIONS: dict[str, set[str]] = {
    "platform_admin": {"region_a", "region_b"},
    "region_admin_a": set(),
    **{member: set() for member in SCHOOL_MEMBERS},
}

# --- schools: own school (A1), another school of the same region (A2), another region (B1) --
SCHOOLS = ("school_a1", "school_a2", "school_b1")
VISIBLE_SCHOOLS: dict[str, set[str]] = {
    "platform_admin": {"school_a1", "school_a2", "school_b1"},
    "region_admin_a": {"school_a1", "school_a2"},
    **{member: {"school_a1"} for member in SCHOOL_MEMBERS},
}
MANAGED_SCHOOLS: dict[str, set[str]] = {
    "platform_admin": {"school_a1", "school_a2", "school_b1"},
    "region_admin_a": {"school_a1", "school_a2"},
    **{member: set() for member in SCHOOL_MEMBERS},
}
# Regions a viewer may add a school to; None: the viewer may not create schools at all (403).
SCHOOL_CREATION_REGIONS: dict[str, set[str] | None] = {
    "platform_admin": {"region_a", "region_b"},
    "region_admin_a": {"region_a"},
    **dict.fromkeys(SCHOOL_MEMBERS),
}

# --- people ---------------------------------------------------------------------------------
PEOPLE_A1 = {"school_admin_a1", "teacher_a1", "facilitator_a1", "student_a1"}
PEOPLE_A2 = {"school_admin_a2", "teacher_a2", "student_a2"}
PEOPLE_B1 = {"school_admin_b1", "student_b1"}
EVERYONE = (
    PEOPLE_A1 | PEOPLE_A2 | PEOPLE_B1 | {"platform_admin", "region_admin_a", "region_admin_b"}
)
PEOPLE = tuple(sorted(EVERYONE))

LISTS_PEOPLE = {"platform_admin", "region_admin_a", "school_admin_a1"}
VISIBLE_PEOPLE: dict[str, set[str]] = {
    "platform_admin": EVERYONE,
    "region_admin_a": PEOPLE_A1 | PEOPLE_A2 | {"region_admin_a"},
    "school_admin_a1": PEOPLE_A1,
    "teacher_a1": {"teacher_a1"},
    "facilitator_a1": {"facilitator_a1"},
    "student_a1": {"student_a1"},
}
MANAGED_PEOPLE: dict[str, set[str]] = {
    "platform_admin": EVERYONE - {"platform_admin"},
    "region_admin_a": PEOPLE_A1 | PEOPLE_A2,
    "school_admin_a1": {"teacher_a1", "facilitator_a1", "student_a1"},
    "teacher_a1": set(),
    "facilitator_a1": set(),
    "student_a1": set(),
}


def expected_write_status(*, target: str, visible: set[str], managed: set[str]) -> int:
    """200 for what the viewer manages, 403 for what they only see, 404 for what they do not
    see (a refusal must not reveal that the object exists)."""
    if target in managed:
        return 200
    if target in visible:
        return 403
    return 404


# --- checks ---------------------------------------------------------------------------------
def assert_error(
    response: Response, status: int, code: str, fields: set[str] | None = None
) -> dict[str, Any]:
    """The answer is ``status`` with the one error body ``{"code", "message", "fields"}``.

    ``fields``: the exact set of field names that must carry messages (``None``: no check;
    an empty set: no field messages at all).
    """
    assert response.status_code == status, (response.status_code, response.content)
    body = response.json()
    assert set(body) == {"code", "message", "fields"}, body
    assert body["code"] == code, body
    assert isinstance(body["message"], str), body
    assert body["message"].strip(), body
    assert isinstance(body["fields"], dict), body
    for name, messages in body["fields"].items():
        assert isinstance(messages, list), (name, body)
        assert messages, (name, body)
        assert all(isinstance(message, str) and message for message in messages), (name, body)
    if fields is not None:
        assert set(body["fields"]) == fields, body
    return body


def database_state() -> dict[str, list[dict[str, Any]]]:
    """Every row of the tables the accounts API writes, to prove a refused request wrote
    nothing (compare the state before and after)."""
    models: dict[str, type[Model]] = {
        "regions": Region,
        "schools": School,
        "people": User,
        "tokens": AuthToken,
    }
    return {
        name: [{k: str(v) for k, v in row.items()} for row in model.objects.order_by("pk").values()]
        for name, model in models.items()
    }
