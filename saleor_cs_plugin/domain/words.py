"""What the rules need to speak to a customer in the customer's language.

The rules that word a message take a ``Words``: the catalogs (gettext) and the
formats of money, dates and lists of one language. ``saleor_cs_plugin.language``
gives one backed by Django's translations and Babel; the rules never format a date,
an amount or a list by hand, and never glue sentences from pieces: each msgid is a
whole sentence with ``%(name)s`` placeholders, so that a translator can reorder it.
"""

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol


class Words(Protocol):
    # The language, as Saleor writes it: "en", "pl", "pt-br".
    language: str

    def gettext(self, message: str) -> str: ...

    def ngettext(self, singular: str, plural: str, number: int) -> str: ...

    def pgettext(self, context: str, message: str) -> str: ...

    def money(self, amount: Decimal, currency: str) -> str:
        """An amount in the currency's own minor unit, as the language writes it."""
        ...

    def percent(self, value: Decimal) -> str:
        """A percentage given in percent (10 -> "10%", "10 %" in German)."""
        ...

    def date(self, value: date) -> str:
        """A day, written out: "1 December 2026", "1 grudnia 2026"."""
        ...

    def moment(self, value: datetime, time_zone: str) -> str:
        """A day and a time of day in ``time_zone``."""
        ...

    def either(self, items: Sequence[str]) -> str:
        """Choices: "a, b or c"."""
        ...

    def every(self, items: Sequence[str]) -> str:
        """A list: "a, b and c"."""
        ...


def gettext_noop(message: str) -> str:
    """Marks ``message`` for the catalogs where it is defined; it is translated
    where it is used (``words.gettext(message)``)."""
    return message
