"""Password hashing for accounts created in bulk (docs/decisions/0007)."""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class BulkInitialPasswordHasher(PBKDF2PasswordHasher):
    """PBKDF2 with fewer rounds, for the initial passwords of people imported in bulk.

    It writes the same ``pbkdf2_sha256$<rounds>$...`` format as Django's default hasher, which
    verifies it and, because the rounds differ, re-hashes the password at full strength the
    first time the person signs in. Not listed in PASSWORD_HASHERS: used only explicitly."""

    iterations = 20_000
