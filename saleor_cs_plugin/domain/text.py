"""What a text typed by a person (a setting, a customer's message, a staff reply)
may hold: the first character that stops it, found one way everywhere.

Each caller says in its own words why the character is refused; this only finds
it. NUL and lone surrogates cannot be stored or sent anywhere; a control character
(Unicode category Cc) is refused unless the text allows it (tabs and line breaks in
a text of several lines); a one-line text also refuses the Unicode line and
paragraph separators.
"""

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

LINE_CONTROLS = "\t\n\r"


class Unwanted(StrEnum):
    UNSTORABLE = "unstorable"  # NUL, or half of a surrogate pair
    CONTROL = "control"  # a control character (or, on one line, a line break)


@dataclass(frozen=True)
class UnwantedCharacter:
    # Counted from 1, as a person counts.
    position: int
    character: str
    kind: Unwanted

    @property
    def code(self) -> str:
        return f"U+{ord(self.character):04X}"


def first_unwanted(
    text: str, *, allowed: str = "", one_line: bool = False, start: int = 0
) -> UnwantedCharacter | None:
    """The first character of ``text[start:]`` that it may not hold, or None.
    ``allowed``: control characters it may hold (``LINE_CONTROLS``)."""
    for index in range(start, len(text)):
        character = text[index]
        if character == "\x00" or "\ud800" <= character <= "\udfff":
            return UnwantedCharacter(index + 1, character, Unwanted.UNSTORABLE)
        is_control = unicodedata.category(character) == "Cc"
        if (is_control and character not in allowed) or (
            one_line and character in "\u2028\u2029"
        ):
            return UnwantedCharacter(index + 1, character, Unwanted.CONTROL)
    return None
