"""The interface is translated into Kyrgyz, Russian and Mongolian, completely, and the
committed compiled catalogs match their sources (docs/decisions/0005)."""

import gettext

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils import translation

from tests.servers import ROOT

TRANSLATED = ["ky", "ru", "mn"]


def _catalog(language: str):
    with (ROOT / "locale" / language / "LC_MESSAGES" / "django.po").open("rb") as source:
        return read_po(source)


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_and_none_is_fuzzy(language: str) -> None:
    catalog = _catalog(language)
    messages = [message for message in catalog if message.id]
    assert messages
    untranslated = [
        message.id
        for message in messages
        if not (all(message.string) if isinstance(message.string, tuple) else message.string)
    ]
    fuzzy = [message.id for message in messages if message.fuzzy]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalog_matches_its_source(language: str) -> None:
    catalog = _catalog(language)
    with (ROOT / "locale" / language / "LC_MESSAGES" / "django.mo").open("rb") as compiled:
        compiled_catalog = gettext.GNUTranslations(compiled)._catalog  # type: ignore[attr-defined]
    for message in catalog:
        if not message.id:
            continue
        context = f"{message.context}\x04" if message.context else ""
        if isinstance(message.id, tuple):
            for index, form in enumerate(message.string):
                assert compiled_catalog[(context + message.id[0], index)] == form
        else:
            assert compiled_catalog[context + message.id] == message.string, message.id


@pytest.mark.parametrize(
    ("language", "sign_out"), [("ky", "Чыгуу"), ("ru", "Выйти"), ("mn", "Гарах")]
)
def test_the_interface_speaks_the_language(language: str, sign_out: str) -> None:
    assert language in dict(settings.LANGUAGES)
    with translation.override(language):
        assert translation.gettext("Sign out") == sign_out
