"""What each kind of notification says, and whom it reaches by default.

Texts are written when shown or sent, in the reader's language and time zone, from the facts
``notify`` stored (``params``). Each kind gives a title (the in-app list, the e-mail's subject),
a body (the e-mail, the in-app detail) and a short text for SMS. Callers give the link, a path
of the site, in ``params["link"]``.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lms.notifications.models import Channel, Kind

Params = dict[str, Any]


def when(value: str, zone: ZoneInfo) -> str:
    """A stored ISO time, in the reader's zone: 24.11.2026 14:30."""
    return datetime.fromisoformat(value).astimezone(zone).strftime("%d.%m.%Y %H:%M")


@dataclass(frozen=True)
class Texts:
    title: str
    body: str
    sms: str


@dataclass(frozen=True)
class KindSpec:
    defaults: frozenset[str]
    write: Callable[[Params, ZoneInfo], Texts]


def _enrolled(p: Params, zone: ZoneInfo) -> Texts:
    title = _("You are enrolled in %(class)s") % {"class": p["class"]}
    body = _("You are now a student of the class %(class)s (course: %(course)s).") % {
        "class": p["class"],
        "course": p["course"],
    }
    return Texts(title, body, body)


def _lesson_scheduled(p: Params, zone: ZoneInfo) -> Texts:
    values = {"title": p["title"], "class": p["class"], "when": when(p["starts_at"], zone)}
    title = _("Live lesson: %(title)s, %(when)s") % values
    body = _("A live lesson of %(class)s is scheduled: %(title)s, %(when)s.") % values
    return Texts(title, body, body)


def _lesson_moved(p: Params, zone: ZoneInfo) -> Texts:
    values = {
        "title": p["title"],
        "class": p["class"],
        "when": when(p["starts_at"], zone),
        "before": when(p["was"], zone),
    }
    title = _("Live lesson moved: %(title)s, now %(when)s") % values
    body = _("The live lesson %(title)s of %(class)s moved from %(before)s to %(when)s.") % values
    return Texts(title, body, body)


def _lesson_cancelled(p: Params, zone: ZoneInfo) -> Texts:
    values = {
        "title": p["title"],
        "class": p["class"],
        "when": when(p["starts_at"], zone),
        "reason": p["reason"],
    }
    title = _("Live lesson cancelled: %(title)s, %(when)s") % values
    body = _("The live lesson %(title)s of %(class)s at %(when)s is cancelled: %(reason)s") % values
    return Texts(title, body, body)


def _lesson_starting(p: Params, zone: ZoneInfo) -> Texts:
    values = {"title": p["title"], "class": p["class"], "when": when(p["starts_at"], zone)}
    title = _("Live lesson at %(when)s: %(title)s") % values
    body = _("The live lesson %(title)s of %(class)s starts soon, at %(when)s.") % values
    return Texts(title, body, body)


def _due_soon(p: Params, zone: ZoneInfo) -> Texts:
    values = {"title": p["title"], "class": p["class"], "when": when(p["due_at"], zone)}
    title = _("Due by %(when)s: %(title)s") % values
    body = _("%(title)s of %(class)s is due by %(when)s and you have not handed it in.") % values
    return Texts(title, body, body)


def _grade_published(p: Params, zone: ZoneInfo) -> Texts:
    values = {"title": p["title"], "class": p["class"]}
    title = _("Your grade for %(title)s is out") % values
    body = _("Your teacher published your grade for %(title)s of %(class)s.") % values
    return Texts(title, body, body)


def _grading_digest(p: Params, zone: ZoneInfo) -> Texts:
    count = int(p["count"])
    title = ngettext(
        "%(count)s piece of work waits for grading",
        "%(count)s pieces of work wait for grading",
        count,
    ) % {"count": count}
    lines = [
        ngettext("%(class)s: %(count)s to grade", "%(class)s: %(count)s to grade", row["count"])
        % {"class": row["class"], "count": row["count"]}
        for row in p["classes"]
    ]
    return Texts(title, "\n".join([title, "", *lines]), title)


def _import_finished(p: Params, zone: ZoneInfo) -> Texts:
    values = {
        "class": p["class"],
        "created": p["created"],
        "enrolled": p["enrolled"],
        "already": p["already"],
    }
    title = _("Import into %(class)s finished") % values
    body = (
        _(
            "The CSV import into %(class)s finished: %(created)s accounts created, "
            "%(enrolled)s students enrolled, %(already)s already in the class."
        )
        % values
    )
    return Texts(title, body, body)


IN_APP, EMAIL, SMS = Channel.IN_APP.value, Channel.EMAIL.value, Channel.SMS.value

KINDS: dict[str, KindSpec] = {
    Kind.ENROLLED: KindSpec(frozenset({IN_APP, EMAIL}), _enrolled),
    Kind.LESSON_SCHEDULED: KindSpec(frozenset({IN_APP, EMAIL}), _lesson_scheduled),
    Kind.LESSON_MOVED: KindSpec(frozenset({IN_APP, EMAIL}), _lesson_moved),
    Kind.LESSON_CANCELLED: KindSpec(frozenset({IN_APP, EMAIL}), _lesson_cancelled),
    Kind.LESSON_STARTING: KindSpec(frozenset({IN_APP}), _lesson_starting),
    Kind.DUE_SOON: KindSpec(frozenset({IN_APP, EMAIL}), _due_soon),
    Kind.GRADE_PUBLISHED: KindSpec(frozenset({IN_APP, EMAIL}), _grade_published),
    Kind.GRADING_DIGEST: KindSpec(frozenset({IN_APP, EMAIL}), _grading_digest),
    Kind.IMPORT_FINISHED: KindSpec(frozenset({IN_APP, EMAIL}), _import_finished),
}


def texts(kind: str, params: Params, zone: ZoneInfo) -> Texts:
    """The texts in the active language (the caller activates the reader's)."""
    return KINDS[kind].write(params, zone)


def channels_of(kind: str, preference: Any) -> set[str]:
    """The channels a person's ``Preference`` row for ``kind`` chose; without one, the kind's
    defaults."""
    if preference is None:
        return set(KINDS[kind].defaults)
    chosen = {IN_APP: preference.in_app, EMAIL: preference.email, SMS: preference.sms}
    return {channel for channel, on in chosen.items() if on}
