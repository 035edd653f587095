"""The translation catalogs are complete: every msgid of the code and the page
templates is in every language's catalog, translated, with the same placeholders."""

import runpy
from pathlib import Path

import pytest

CATALOGS = runpy.run_path(str(Path(__file__).parents[2] / "bin" / "catalogs"))


def test_every_msgid_is_translated_in_every_catalog():
    assert CATALOGS["problems"]() == []


def test_the_check_names_an_untranslated_msgid(tmp_path, monkeypatch):
    # given a catalog that lacks the translation of the default notice body
    polish = CATALOGS["LOCALE_DIR"] / "pl" / "LC_MESSAGES" / "django.po"
    catalog = CATALOGS["_read"](polish)
    body = next(message for message in catalog if message.id.startswith("Hello"))
    body.string = ""
    copy = tmp_path / "pl" / "LC_MESSAGES" / "django.po"
    copy.parent.mkdir(parents=True)
    CATALOGS["_write"](copy, catalog)
    monkeypatch.setitem(CATALOGS["problems"].__globals__, "_po_paths", lambda: [copy])
    # when / then
    assert CATALOGS["problems"]() == [f"pl: {body.id!r} is not translated"]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("pl", "Dzień dobry, $customer_name!\n\n$message\n\n$support_contact"),
        ("de", "Hallo $customer_name,\n\n$message\n\n$support_contact"),
        ("en", "Hello $customer_name,\n\n$message\n\n$support_contact"),
    ],
)
def test_the_compiled_catalogs_are_what_django_reads(language, expected):
    from saleor_cs_plugin.config import DEFAULT_BODY
    from saleor_cs_plugin.language import words_for

    assert words_for(language).gettext(DEFAULT_BODY) == expected
