"""Who is on the other end of a lesson socket, and from which page.

Browsers sign in with the session cookie; other clients (a phone app, the load benchmark)
with an API token in the ``Authorization: Token ...`` header, as on the REST API. A browser
always sends ``Origin`` with a WebSocket handshake, so a handshake that rides on the cookie
must come from one of the site's own hosts: another site cannot open a socket in a signed-in
person's name. A token is no ambient credential, so a token client needs no Origin; if it
sends one, it is checked all the same."""

import binascii
from collections import defaultdict
from hmac import compare_digest
from importlib import import_module
from typing import Any
from urllib.parse import urlparse

from channels.security.websocket import OriginValidator, WebsocketDenier
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.exceptions import ValidationError
from django.http.cookie import parse_cookie
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import get_token_model
from knox.settings import CONSTANTS, knox_settings
from rest_framework.exceptions import AuthenticationFailed

from lms.accounts.models import User
from realtime.threads import Batched


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin1"))
    return None


def _token_of(scope: dict[str, Any]) -> str | None:
    value = _header(scope, b"authorization")
    if value is None:
        return None
    kind, _space, token = value.partition(" ")
    return token.strip() if kind.lower() == "token" and token.strip() else None


def _allowed_hosts() -> list[str]:
    hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not hosts:
        hosts = [".localhost", "127.0.0.1", "[::1]"]
    return hosts


class LessonOriginCheck(OriginValidator):
    """Channels' origin check, except that a token client may leave Origin out."""

    def __init__(self, application: Any) -> None:
        super().__init__(application, _allowed_hosts())

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        origin = _header(scope, b"origin")
        if origin is None and _token_of(scope) is not None:
            return await self.application(scope, receive, send)
        if origin is not None and self.valid_origin(urlparse(origin)):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)


class _SocketTokenCheck(TokenAuthentication):
    """knox's check of a token, for many tokens at once (one query for all of them), and
    without the sweep of the person's other tokens that knox runs on every use (a query of
    all their tokens, deleting the expired ones): the REST API sweeps, and hundreds of pupils
    joining a lesson at once need not. An expired token is refused all the same."""

    def _cleanup_token(self, auth_token: Any) -> bool:
        return bool(auth_token.expiry is not None and auth_token.expiry < timezone.now())

    def people_of(self, tokens: list[str]) -> list[tuple[Any, str | None]]:
        """(person, token key) of each token, or (AnonymousUser, None) for one that signs no
        one in."""
        keys = {token[: CONSTANTS.TOKEN_KEY_LENGTH] for token in tokens}
        candidates: dict[str, list[Any]] = defaultdict(list)
        for auth_token in (
            get_token_model().objects.filter(token_key__in=keys).select_related("user")
        ):
            candidates[auth_token.token_key].append(auth_token)
        people: list[tuple[Any, str | None]] = []
        for token in tokens:
            try:
                key = token[: CONSTANTS.TOKEN_KEY_LENGTH]
                user, auth_token = self._check(token, candidates[key])
            except AuthenticationFailed:
                people.append((AnonymousUser(), None))
            else:
                people.append((user, auth_token.token_key))
        return people

    def _check(self, token: str, candidates: list[Any]) -> tuple[Any, Any]:
        """knox's ``authenticate_credentials``, on tokens already read."""
        for auth_token in candidates:
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(token)
            except (TypeError, binascii.Error) as error:
                raise AuthenticationFailed from error
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise AuthenticationFailed


# Hundreds of pupils joining at once sign in a batch at a time, on pool threads, not on the
# one thread that Channels' session middleware shares.
_people_of_tokens: Batched[str, tuple[Any, str | None]] = Batched(
    lambda tokens: _SocketTokenCheck().people_of(tokens)
)


def _people_of_sessions_sync(scopes: list[dict[str, Any]]) -> list[Any]:
    """Channels' sign-in by session (``channels.auth.get_user``) for a batch of handshakes:
    the sessions read with one query (with the database's session store), the people of
    Django's ``ModelBackend`` with another. Each session must name a backend of
    ``AUTHENTICATION_BACKENDS`` and a person that backend lets in, and its hash must match
    the person's (a password changed since): a session that fails that is flushed, as Channels
    and Django do. Anyone else is ``AnonymousUser``."""
    sessions: list[SessionBase] = [scope["session"] for scope in scopes]
    data = _sessions_read(sessions)
    claims: list[tuple[Any, str] | None] = []
    for values in data:
        try:
            user_id = User._meta.pk.to_python(values[SESSION_KEY])
            backend_path = values[BACKEND_SESSION_KEY]
        except (KeyError, ValidationError):
            claims.append(None)
        else:
            known = backend_path in settings.AUTHENTICATION_BACKENDS
            claims.append((user_id, backend_path) if known else None)
    # each backend named, loaded once: does it find people as ModelBackend does?
    read_together = {claim[1]: _reads_by_model(claim[1]) for claim in claims if claim}
    by_model = {claim[0] for claim in claims if claim and read_together[claim[1]]}
    people = User._default_manager.in_bulk(by_model) if by_model else {}
    signed_in: list[Any] = []
    for session, values, claim in zip(sessions, data, claims, strict=True):
        user: Any = None
        if claim is not None:
            user_id, backend_path = claim
            backend: Any = load_backend(backend_path)
            if read_together[backend_path]:
                user = people.get(user_id)
                user = user if user is not None and backend.user_can_authenticate(user) else None
            else:  # a backend that signs no one in by session (axes') lets no one in
                get_user = getattr(backend, "get_user", None)
                user = get_user(user_id) if get_user is not None else None
            if hasattr(user, "get_session_auth_hash"):
                session_hash = values.get(HASH_SESSION_KEY)
                expected = user.get_session_auth_hash()
                if not (session_hash and constant_time_compare(session_hash, expected)):
                    session.flush()
                    user = None
        signed_in.append(user or AnonymousUser())
    return signed_in


def _reads_by_model(backend_path: str) -> bool:
    """The backend finds people as Django's ``ModelBackend`` does (by primary key), so they
    can be read together."""
    return getattr(type(load_backend(backend_path)), "get_user", None) is ModelBackend.get_user


def _sessions_read(sessions: list[SessionBase]) -> list[dict[str, Any]]:
    """What each session holds ({} for none, an expired or a tampered one)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not issubclass(store, DatabaseSessionStore):
        return [dict(session.items()) for session in sessions]  # each read by its own store
    keys = {session.session_key for session in sessions if session.session_key}
    rows = dict(
        store.get_model_class()
        .objects.filter(session_key__in=keys, expire_date__gt=timezone.now())
        .values_list("session_key", "session_data")
    )
    return [
        session.decode(rows[session.session_key]) if session.session_key in rows else {}
        for session in sessions
    ]


_people_of_sessions: Batched[dict[str, Any], Any] = Batched(_people_of_sessions_sync)


class SignIn:
    """A handshake that carries an API token is signed in by the token alone (the token wins
    over a cookie); any other by the session cookie, as Channels' ``AuthMiddlewareStack``
    signs it in (``scope["cookies"]``, ``scope["session"]``, ``scope["user"]``), but a batch
    at a time on pool threads (two queries for a batch), not one at a time on the one thread
    Channels' middleware shares. A socket never writes its session, so the session
    middleware's wrapper of every ``send`` (which saves a changed session on HTTP responses)
    is not needed."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        token = _token_of(scope)
        if token is not None:
            user, key = await _people_of_tokens(token)
            scope = {**scope, "user": user, "auth_token_key": key}
        else:
            cookies = parse_cookie(_header(scope, b"cookie") or "")
            session_key = cookies.get(settings.SESSION_COOKIE_NAME)
            session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
            scope = {**scope, "cookies": cookies, "session": session}
            scope["user"] = await _people_of_sessions(scope)
        return await self.application(scope, receive, send)


def still_signed_in(sockets: list[tuple[dict[str, Any], int]]) -> list[bool]:
    """For each socket (its scope and its person's id): does the token or session its
    handshake was signed in with still exist, and is the person still active (deactivation
    ends API tokens, not sessions)? One query for all the tokens, one for all the sessions
    (with the database's session store) and one for their people."""
    token_keys = {scope["auth_token_key"] for scope, _user in sockets if _by_token(scope)}
    live_tokens = (
        set(
            get_token_model()
            .objects.filter(token_key__in=token_keys, user__is_active=True)
            .values_list("token_key", "user_id")
        )
        if token_keys
        else set()
    )
    by_session = [(scope, user) for scope, user in sockets if not _by_token(scope)]
    sessions = _sessions_that_exist({_session_key(scope) for scope, _user in by_session} - {None})
    people = {user for scope, user in by_session if _session_key(scope) in sessions}
    active = (
        set(User.objects.filter(pk__in=people, is_active=True).values_list("pk", flat=True))
        if people
        else set()
    )
    return [
        (scope["auth_token_key"], user) in live_tokens
        if _by_token(scope)
        else _session_key(scope) in sessions and user in active
        for scope, user in sockets
    ]


def _by_token(scope: dict[str, Any]) -> bool:
    return scope.get("auth_token_key") is not None


def _session_key(scope: dict[str, Any]) -> str | None:
    session: SessionBase | None = scope.get("session")
    return session.session_key if session is not None else None


def _sessions_that_exist(keys: set[str | None]) -> set[str | None]:
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if issubclass(store, DatabaseSessionStore):  # one query for all of them
        model = store.get_model_class()
        return set(model.objects.filter(session_key__in=keys).values_list("session_key", flat=True))
    return {key for key in keys if key is not None and store().exists(key)}


def lesson_socket_stack(application: Any) -> Any:
    return LessonOriginCheck(SignIn(application))
