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
from typing import Any
from urllib.parse import urlparse

from channels.auth import AuthMiddlewareStack
from channels.security.websocket import OriginValidator, WebsocketDenier
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import get_token_model
from knox.settings import CONSTANTS, knox_settings
from rest_framework.exceptions import AuthenticationFailed

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


class SignIn:
    """A handshake that carries an API token is signed in by the token alone (the token wins
    over a cookie, and the session stack is skipped); any other by the session cookie."""

    def __init__(self, application: Any) -> None:
        self.application = application
        self.by_session = AuthMiddlewareStack(application)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        token = _token_of(scope)
        if token is None:
            return await self.by_session(scope, receive, send)
        user, key = await _people_of_tokens(token)
        scope = {**scope, "user": user, "auth_token_key": key}
        return await self.application(scope, receive, send)


def lesson_socket_stack(application: Any) -> Any:
    return LessonOriginCheck(SignIn(application))
