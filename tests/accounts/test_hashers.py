"""Bulk-imported passwords are hashed lighter and upgraded at the first sign-in (ADR 0007)."""

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password

from lms.accounts.hashers import BulkInitialPasswordHasher
from tests.factories import UserFactory


@pytest.mark.django_db
def test_a_bulk_hashed_password_is_upgraded_to_full_strength_at_first_sign_in(settings) -> None:
    # given Django's default hashers and a pupil imported with a lightly hashed password
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    pupil = UserFactory()
    pupil.password = make_password("abcd-ef23-gh45", hasher=BulkInitialPasswordHasher())
    pupil.save()
    assert pupil.password.startswith(f"pbkdf2_sha256${BulkInitialPasswordHasher.iterations}$")
    # when they sign in with it
    assert pupil.check_password("abcd-ef23-gh45")
    # then the stored hash now has the default strength
    pupil.refresh_from_db()
    assert pupil.password.startswith(f"pbkdf2_sha256${PBKDF2PasswordHasher.iterations}$")
    assert pupil.check_password("abcd-ef23-gh45")
    assert not pupil.check_password("wrong")
