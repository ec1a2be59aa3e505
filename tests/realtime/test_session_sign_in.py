"""Browsers' sockets sign in by their session cookie a batch at a time
(``realtime.auth._people_of_sessions_sync``). Each answer must be the one Channels' own
``get_user`` gives for that session: the same person, or nobody, and a session whose hash no
longer matches its person's flushed in both."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from channels.auth import get_user as channels_get_user
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from knox.models import AuthToken

from lms.accounts.models import User
from lms.accounts.services import api_token_create
from realtime.auth import _people_of_sessions_sync, still_signed_in
from tests.realtime.conftest import Live

pytestmark = pytest.mark.django_db

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def signed_in(user: User, **changes: object) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = MODEL_BACKEND
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    for key, value in changes.items():
        if value is None:
            del session[key]
        else:
            session[key] = value
    session.create()
    assert session.session_key is not None
    return session.session_key


def expired(key: str) -> str:
    Session.objects.filter(pk=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    return key


def tampered(key: str) -> str:
    Session.objects.filter(pk=key).update(session_data="not signed by this site")
    return key


def cases(live: Live) -> dict[str, Callable[[], str | None]]:
    pupil, other = live.student, live.student_x
    return {
        "signed in": lambda: signed_in(pupil),
        "another person": lambda: signed_in(other),
        "password changed since": lambda: signed_in(pupil, **{HASH_SESSION_KEY: "0" * 64}),
        "no hash": lambda: signed_in(pupil, **{HASH_SESSION_KEY: None}),
        "unknown backend": lambda: signed_in(pupil, **{BACKEND_SESSION_KEY: "x.Backend"}),
        "no person": lambda: signed_in(pupil, **{SESSION_KEY: None}),
        "a person who is gone": lambda: signed_in(pupil, **{SESSION_KEY: "999999"}),
        "expired": lambda: expired(signed_in(pupil)),
        "tampered": lambda: tampered(signed_in(pupil)),
        "unknown key": lambda: "k" * 32,
        "no cookie": lambda: None,
    }


def outcome(user: object, key: str | None) -> tuple[int | None, bool]:
    """Who signed in, and whether the session is still there."""
    exists = key is not None and Session.objects.filter(pk=key).exists()
    return getattr(user, "pk", None), exists


def test_a_batch_signs_in_as_channels_does_each_session(live: Live) -> None:
    made = cases(live)
    # each case made twice: one for Channels, one for the batch (a flush deletes a session)
    theirs = {name: make() for name, make in made.items()}
    ours = {name: make() for name, make in made.items()}
    expected = {
        name: outcome(channels_get_user.func({"session": SessionStore(key)}), key)
        for name, key in theirs.items()
    }
    scopes = [{"session": SessionStore(key)} for key in ours.values()]

    people = _people_of_sessions_sync(scopes)

    got = {
        name: outcome(person, key) for (name, key), person in zip(ours.items(), people, strict=True)
    }
    assert got == expected
    assert expected["signed in"] == (live.student.pk, True)
    assert expected["another person"] == (live.student_x.pk, True)
    assert expected["password changed since"] == (None, False)  # flushed


def test_a_session_naming_no_id_signs_no_one_in(live: Live) -> None:
    """(Channels' ``get_user`` raises here; a server-side session never holds such an id.)"""
    key = signed_in(live.student, **{SESSION_KEY: "twelve"})

    [person] = _people_of_sessions_sync([{"session": SessionStore(key)}])

    assert not person.is_authenticated


def test_a_session_naming_a_backend_that_signs_no_one_in_signs_no_one_in(live: Live) -> None:
    """Axes' backend (first in ``AUTHENTICATION_BACKENDS``) only counts failed sign-ins and
    finds no one. (Channels' ``get_user`` raises here.)"""
    key = signed_in(live.student, **{BACKEND_SESSION_KEY: "axes.backends.AxesStandaloneBackend"})

    [person] = _people_of_sessions_sync([{"session": SessionStore(key)}])

    assert not person.is_authenticated


def test_an_inactive_person_is_not_signed_in(live: Live) -> None:
    key = signed_in(live.student)
    User.objects.filter(pk=live.student.pk).update(is_active=False)

    [person] = _people_of_sessions_sync([{"session": SessionStore(key)}])

    assert not person.is_authenticated


def test_a_batch_of_sessions_is_two_queries(live: Live) -> None:
    keys = [signed_in(user) for user in (live.student, live.student_x, live.teacher, live.admin)]

    with CaptureQueriesContext(connection) as queries:
        people = _people_of_sessions_sync([{"session": SessionStore(key)} for key in keys])

    assert len(queries) == 2, [query["sql"] for query in queries.captured_queries]
    assert [person.pk for person in people] == [
        live.student.pk,
        live.student_x.pk,
        live.teacher.pk,
        live.admin.pk,
    ]


def test_sign_ins_are_checked_again_together(live: Live) -> None:
    """A joining batch's sign-ins checked again: tokens with one query, sessions with one,
    their people with one. A deleted token or session, or a deactivated person whose session
    is still there, no longer counts."""
    token, _key = api_token_create(user=live.student)
    gone_token, _key = api_token_create(user=live.student_x)
    gone_token.delete()
    sessions = [signed_in(user) for user in (live.teacher, live.admin, live.facilitator)]
    Session.objects.filter(pk=sessions[1]).delete()
    User.objects.filter(pk=live.facilitator.pk).update(is_active=False)
    sockets = [
        ({"auth_token_key": token.token_key}, live.student.pk),
        ({"auth_token_key": token.token_key}, live.student_x.pk),  # not their token
        ({"auth_token_key": gone_token.token_key}, live.student_x.pk),
        ({"session": SessionStore(sessions[0])}, live.teacher.pk),
        ({"session": SessionStore(sessions[1])}, live.admin.pk),
        ({"session": SessionStore(sessions[2])}, live.facilitator.pk),
        ({"session": SessionStore(None)}, live.teacher.pk),
    ]
    assert AuthToken.objects.filter(token_key=token.token_key).exists()

    with CaptureQueriesContext(connection) as queries:
        answers = still_signed_in(sockets)

    assert answers == [True, False, False, True, False, False, False]
    assert len(queries) == 3, [query["sql"] for query in queries.captured_queries]
