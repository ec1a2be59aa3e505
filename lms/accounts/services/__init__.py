"""Writes to regions, schools and people.

Each function is one use case: it checks the actor's permission with ``policies``, validates
the whole object (model validation plus the database's constraints) and writes inside one
transaction, so a refused request writes nothing. Refusals raise ``PermissionDenied`` (the
actor may not act on this object at all) or ``ApplicationError`` with field messages (the
input is wrong). Callers use this package's names; the modules split it by use case.
"""

from lms.accounts.services.people import (
    PERSON_FIELDS,
    PROFILE_FIELDS,
    person_create,
    person_set_active,
    person_update,
    profile_update,
    user_language_set,
)
from lms.accounts.services.places import (
    REGION_FIELDS,
    SCHOOL_FIELDS,
    region_create,
    region_update,
    school_create,
    school_update,
)
from lms.accounts.services.signing_in import (
    api_token_create,
    api_tokens_revoke,
    credentials_authenticate,
    password_change,
    password_set,
    person_unlock,
)

__all__ = [
    "PERSON_FIELDS",
    "PROFILE_FIELDS",
    "REGION_FIELDS",
    "SCHOOL_FIELDS",
    "api_token_create",
    "api_tokens_revoke",
    "credentials_authenticate",
    "password_change",
    "password_set",
    "person_create",
    "person_set_active",
    "person_unlock",
    "person_update",
    "profile_update",
    "region_create",
    "region_update",
    "school_create",
    "school_update",
    "user_language_set",
]
