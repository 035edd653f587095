"""Which language a customer is spoken to in, and how it writes money and dates."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from saleor_cs_plugin.language import SPOKEN, choose, words_for


def test_the_plugin_speaks_english_polish_and_german():
    assert {"en", "pl", "de"} <= SPOKEN


@pytest.mark.parametrize(
    ("codes", "default", "also", "expected"),
    [
        (("pl",), "en", (), "pl"),
        (("PL_PL",), "en", (), "pl"),
        (("de-ch", "pl"), "en", (), "de"),
        (("fr", "pl"), "en", (), "pl"),
        (("fr",), "de", (), "de"),
        ((None, ""), "pl", (), "pl"),
        (("fr",), "en", ("fr",), "fr"),
        (("pt-br",), "en", ("pt",), "pt"),
    ],
)
def test_the_first_language_spoken_wins_else_the_channels(
    codes, default, also, expected
):
    assert choose(*codes, default=default, also=also) == expected


@pytest.mark.parametrize(
    ("language", "amount", "currency", "expected"),
    [
        ("en", "70", "USD", "$70.00"),
        ("pl", "70", "USD", "70,00\xa0USD"),
        ("de", "70", "EUR", "70,00\xa0€"),
        ("pl", "1997", "JPY", "1\xa0997\xa0JPY"),
        ("en", "1.5", "KWD", "KWD1.500"),
        # Half up to the minor unit, as Saleor rounds prices.
        ("en", "0.125", "USD", "$0.13"),
        ("pl", "12.5", "PLN", "12,50\xa0zł"),
    ],
)
def test_money_is_written_in_the_language_with_the_currencys_minor_unit(
    language, amount, currency, expected
):
    assert words_for(language).money(Decimal(amount), currency) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "December 1, 2026"), ("pl", "1 grudnia 2026"), ("de", "1. Dezember 2026")],
)
def test_dates_are_written_in_the_language(language, expected):
    assert words_for(language).date(date(2026, 12, 1)) == expected


def test_a_moment_is_written_in_the_stores_zone():
    moment = datetime(2026, 12, 1, 14, 30, tzinfo=UTC)
    assert words_for("pl").moment(moment, "Europe/Warsaw") == "1 grudnia 2026 15:30 CET"


@pytest.mark.parametrize(
    ("language", "either", "every"),
    [
        ("en", "a, b, or c", "a, b, and c"),
        ("pl", "a, b lub c", "a, b i c"),
        ("de", "a, b oder c", "a, b und c"),
    ],
)
def test_lists_are_joined_in_the_language(language, either, every):
    words = words_for(language)
    assert (words.either(["a", "b", "c"]), words.every(["a", "b", "c"])) == (
        either,
        every,
    )


def test_a_language_babel_lacks_is_formatted_in_english():
    assert words_for("xx").date(date(2026, 12, 1)) == "December 1, 2026"


@pytest.mark.parametrize(
    ("language", "value", "expected"),
    [
        ("en", "10", "10%"),
        ("en", "12.5", "12.5%"),
        ("pl", "12.5", "12,5%"),
        ("de", "10", "10\xa0%"),
    ],
)
def test_percentages_are_written_in_the_language(language, value, expected):
    assert words_for(language).percent(Decimal(value)) == expected
