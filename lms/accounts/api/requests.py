"""What every API view needs to know about its request."""

from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request

from lms.accounts.models import User


def request_person(request: Request) -> User:
    """The signed-in person (a view that requires authentication is only reached with one)."""
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated
    return user
