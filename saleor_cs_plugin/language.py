"""The customer's language: which one a message is in, and its words and formats.

Saleor records a language on every checkout, order and account (``language_code``,
"en", "pl", "pt-br"). A message is in the first of those the plugin can speak
(its catalogs in ``locale/``, or a language the merchant wrote texts in), else in
the channel's language (the ``language`` setting). The built-in wording comes from
Django's translations; money, dates and lists from Babel.
"""

import contextlib
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time, get_datetime_format
from babel.lists import format_list
from babel.numbers import format_currency, format_percent, get_currency_precision
from django.utils import translation

LOCALE_DIR = Path(__file__).with_name("locale")
FALLBACK = "en"


def _catalog_languages() -> frozenset[str]:
    found = {
        path.parent.parent.name.lower().replace("_", "-")
        for path in LOCALE_DIR.glob("*/LC_MESSAGES/django.po")
    }
    return frozenset({FALLBACK, *found})


# The languages the plugin's own wording is written in.
SPOKEN = _catalog_languages()


def normalized(code: str | None) -> str:
    """A language code as Saleor and Django write it: lower case, "-" between
    parts ("PT_BR" -> "pt-br"); empty for nothing."""
    return (code or "").strip().lower().replace("_", "-")


def _spoken_variant(code: str | None, also: frozenset[str]) -> str:
    code = normalized(code)
    if not code:
        return ""
    known = SPOKEN | also
    if code in known:
        return code
    base = code.split("-", 1)[0]
    return base if base in known else ""


def choose(
    *codes: str | None, default: str = FALLBACK, also: Iterable[str] = ()
) -> str:
    """The first of ``codes`` the plugin speaks (or its base language: "pl-pl" is
    spoken as "pl"), else ``default``; ``also``: languages the merchant wrote texts
    in, spoken too."""
    written = frozenset(normalized(code) for code in also)
    for code in codes:
        spoken = _spoken_variant(code, written)
        if spoken:
            return spoken
    return normalized(default) or FALLBACK


def for_order(order, *, default: str = FALLBACK, also: Iterable[str] = ()) -> str:
    """The language of messages about ``order``: the order's, then its customer's."""
    user = order.user if order.user_id else None
    return choose(
        order.language_code,
        user.language_code if user is not None else None,
        default=default,
        also=also,
    )


def for_checkout(checkout, *, default: str = FALLBACK, also: Iterable[str] = ()) -> str:
    """The language of messages about ``checkout``: the checkout's, then its
    shopper's."""
    user = checkout.user if checkout.user_id else None
    return choose(
        checkout.language_code,
        user.language_code if user is not None else None,
        default=default,
        also=also,
    )


def activated(language: str) -> contextlib.AbstractContextManager:
    """Django's translations switched to ``language`` (for rendering templates)."""
    return translation.override(normalized(language) or FALLBACK)


@lru_cache(maxsize=64)
def babel_locale(language: str) -> Locale:
    """Babel's locale of a Saleor language code; English for one Babel lacks."""
    try:
        return Locale.parse(normalized(language) or FALLBACK, sep="-")
    except (UnknownLocaleError, ValueError):
        return Locale.parse(FALLBACK)


class CustomerWords:
    """``domain.words.Words`` of one language."""

    def __init__(self, language: str):
        self.language = normalized(language) or FALLBACK
        self._locale = babel_locale(self.language)

    def __repr__(self) -> str:
        return f"CustomerWords({self.language!r})"

    def gettext(self, message: str) -> str:
        with translation.override(self.language):
            return translation.gettext(message)

    def ngettext(self, singular: str, plural: str, number: int) -> str:
        with translation.override(self.language):
            return translation.ngettext(singular, plural, number)

    def pgettext(self, context: str, message: str) -> str:
        with translation.override(self.language):
            return translation.pgettext(context, message)

    def money(self, amount, currency: str) -> str:
        # Rounded half up to the currency's minor unit first, as Saleor rounds
        # prices; Babel would round half to even.
        digits = get_currency_precision(currency)
        amount = Decimal(str(amount)).quantize(
            Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP
        )
        return format_currency(
            amount, currency, locale=self._locale, currency_digits=True
        )

    def percent(self, value) -> str:
        return format_percent(
            Decimal(str(value)) / 100, locale=self._locale, decimal_quantization=False
        )

    def date(self, value: date) -> str:
        return format_date(value, format="long", locale=self._locale)

    def moment(self, value: datetime, time_zone: str) -> str:
        local = value.astimezone(ZoneInfo(time_zone))
        clock = format_time(local, format="short", locale=self._locale)
        zone = local.tzname() or time_zone
        return (
            get_datetime_format("long", locale=self._locale)
            .replace("{1}", self.date(local.date()))
            .replace("{0}", f"{clock} {zone}")
        )

    def either(self, items: Sequence[str]) -> str:
        return format_list(list(items), style="or", locale=self._locale)

    def every(self, items: Sequence[str]) -> str:
        return format_list(list(items), style="standard", locale=self._locale)


@lru_cache(maxsize=64)
def words_for(language: str) -> CustomerWords:
    """The words of ``language`` (a Saleor language code)."""
    return CustomerWords(language)
