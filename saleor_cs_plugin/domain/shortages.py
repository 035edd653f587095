"""Rules of stock shortages: which order lines a stock cannot cover, what happens to a
line's shortage next, which alternatives to offer, what a customer may choose, and
the words that tell the customer (in their language: ``words``; staff notes and
alerts stay English).

Nothing here reads a clock or a database: ``now``, ``today`` and every quantity are
parameters.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import IntEnum, StrEnum

from .history import Problem
from .words import Words


class ShortageStatus(StrEnum):
    """Where one shortage of one order line stands."""

    OPEN = "open"  # the line cannot be fulfilled as placed
    RESTORED = "restored"  # stock came back; the order is back on track
    CLOSED = "closed"  # the line was fulfilled, cancelled or removed meanwhile


class ShortageStage(StrEnum):
    """The stages of a shortage that each send one notice (part of its key)."""

    SHORT = "short"
    RESTORED = "restored"
    CHOICE = "choice"


class Choice(StrEnum):
    """What the customer wants done about a short item."""

    WAIT = "wait"
    SWITCH = "switch"
    CANCEL = "cancel"


# Orders whose lines still wait for stock (Saleor's order statuses).
OPEN_ORDER_STATUSES = frozenset({"unconfirmed", "unfulfilled", "partially_fulfilled"})


@dataclass(frozen=True)
class AllocationSnapshot:
    """Part of an order line that Saleor allocated to one stock."""

    line_id: object
    order_created_at: datetime
    quantity: int


def short_allocations(
    stock_quantity: int, allocations: list[AllocationSnapshot]
) -> dict[object, int]:
    """How much of each line's allocation a stock cannot cover, by line.

    Saleor lets staff lower a stock below what orders have allocated. The units
    left go to the orders placed first (then by line, for a stable answer); the
    newest allocations are the short ones.
    """
    remaining = max(stock_quantity, 0)
    short: dict[object, int] = {}
    for allocation in sorted(
        allocations, key=lambda a: (a.order_created_at, str(a.line_id))
    ):
        covered = min(remaining, allocation.quantity)
        remaining -= covered
        if allocation.quantity > covered:
            short[allocation.line_id] = (
                short.get(allocation.line_id, 0) + allocation.quantity - covered
            )
    return short


@dataclass(frozen=True)
class LineSnapshot:
    """An order line as far as its stock is concerned."""

    line_id: object
    order_status: str
    is_inventory_tracked: bool
    quantity_unfulfilled: int
    quantity_allocated: int
    # Units of the variant in the channel's warehouses that nobody has allocated.
    free_quantity_in_channel: int = 0
    # Per warehouse id: units allocated there that its stock cannot cover.
    short_by_warehouse: tuple[tuple[object, int], ...] = ()


def line_shortage(line: LineSnapshot) -> int:
    """How many units of the line cannot be fulfilled as placed (0: none)."""
    if line.order_status not in OPEN_ORDER_STATUSES or not line.is_inventory_tracked:
        return 0
    # Units Saleor never allocated (oversold at creation, allocation lost) are short
    # unless free stock in the channel's warehouses can still cover them.
    unallocated = max(line.quantity_unfulfilled - line.quantity_allocated, 0)
    unallocated_short = max(unallocated - max(line.free_quantity_in_channel, 0), 0)
    allocated_short = sum(quantity for _, quantity in line.short_by_warehouse)
    return min(unallocated_short + allocated_short, line.quantity_unfulfilled)


class Step(StrEnum):
    """What to do with a line's shortage after looking at the line again."""

    NONE = "none"
    OPEN = "open"  # a new shortage: record it, apologise, offer options
    KEEP = "keep"  # still short, already told
    RESTORE = "restore"  # stock is back: good news
    # back, but the customer chose otherwise, or was never told
    RESTORE_QUIETLY = "restore_quietly"
    CLOSE = "close"  # the line no longer waits for stock


@dataclass(frozen=True)
class OpenShortage:
    """The shortage a line already has, if any."""

    choice: str | None = None
    # Whether its notice was composed (the customer was, or is being, told).
    is_notified: bool = True


def next_step(
    *, quantity_short: int, is_line_open: bool, open_shortage: OpenShortage | None
) -> Step:
    """One notice per shortage per line: open once, then keep, restore or close."""
    if open_shortage is None:
        return Step.OPEN if quantity_short > 0 and is_line_open else Step.NONE
    if not is_line_open:
        return Step.CLOSE
    if quantity_short > 0:
        return Step.KEEP
    # Good news goes to customers still deciding or waiting; one who asked to switch
    # or cancel has staff acting on it, and is not told twice; one never told of the
    # shortage hears of neither.
    if open_shortage.is_notified and open_shortage.choice in (None, Choice.WAIT):
        return Step.RESTORE
    return Step.RESTORE_QUIETLY


class Similarity(IntEnum):
    """How close an alternative is to the item ordered; higher is closer."""

    NONE = 0
    SAME_CATEGORY_OR_TYPE = 1
    SAME_CATEGORY_AND_TYPE = 2
    SAME_PRODUCT = 3


@dataclass(frozen=True)
class ItemSnapshot:
    """A product variant as the alternatives rule compares them."""

    variant_id: object
    product_id: object
    category_id: object | None
    product_type_id: object
    price: Decimal
    name: str = ""
    # Units customers can still buy in the order's channel (not allocated).
    available_quantity: int = 0
    is_sold_in_channel: bool = True


def similarity(original: ItemSnapshot, candidate: ItemSnapshot) -> Similarity:
    if candidate.product_id == original.product_id:
        return Similarity.SAME_PRODUCT
    same_category = (
        original.category_id is not None
        and candidate.category_id == original.category_id
    )
    same_type = candidate.product_type_id == original.product_type_id
    if same_category and same_type:
        return Similarity.SAME_CATEGORY_AND_TYPE
    if same_category or same_type:
        return Similarity.SAME_CATEGORY_OR_TYPE
    return Similarity.NONE


def price_band(price: Decimal, band_percent: int) -> tuple[Decimal, Decimal]:
    """The lowest and highest price of an alternative to an item of ``price``."""
    spread = price * Decimal(band_percent) / Decimal(100)
    return max(price - spread, Decimal(0)), price + spread


def rank_alternatives(
    original: ItemSnapshot,
    candidates: list[ItemSnapshot],
    *,
    quantity_needed: int,
    price_band_percent: int,
    limit: int,
) -> list[ItemSnapshot]:
    """Real alternatives, best first: in stock for the whole line, sold in the
    order's channel, within the price band; the same product's other variants
    first, then the same category and product type, then either; closer prices
    before farther ones."""
    low, high = price_band(original.price, price_band_percent)
    eligible = [
        candidate
        for candidate in candidates
        if candidate.variant_id != original.variant_id
        and candidate.is_sold_in_channel
        and candidate.available_quantity >= quantity_needed
        and low <= candidate.price <= high
        and similarity(original, candidate) > Similarity.NONE
    ]
    eligible.sort(
        key=lambda c: (
            -similarity(original, c),
            abs(c.price - original.price),
            str(c.variant_id),
        )
    )
    return eligible[: max(limit, 0)]


def restock_estimate(raw: object, today: date) -> date | None:
    """The store's restock date from a variant's metadata value, if it is honest.

    Only an ISO date (``2026-12-01``) that is today or later counts; anything else
    (a past date, a typo) gives no estimate rather than a wrong promise.
    """
    if not isinstance(raw, str):
        return None
    try:
        estimate = date.fromisoformat(raw.strip())
    except ValueError:
        return None
    return estimate if estimate >= today else None


@dataclass(frozen=True)
class ShortageState:
    """A shortage as the customer's choice link sees it."""

    status: str
    link_expires_at: datetime
    chosen_at: datetime | None
    offered_alternative_ids: tuple[str, ...]


class LinkState(StrEnum):
    """What a genuine choice link can still do."""

    OPEN = "open"  # the customer can answer
    ANSWERED = "answered"  # it was used; each link answers once
    EXPIRED = "expired"
    RESTORED = "restored"  # the item came back: nothing to choose
    ENDED = "ended"  # the line was fulfilled, cancelled or removed


def link_state(state: ShortageState, *, now: datetime) -> LinkState:
    """Whether a genuine link still takes an answer, and if not, why (an answer
    given is told first, then expiry, then what became of the shortage)."""
    if state.chosen_at is not None:
        return LinkState.ANSWERED
    if now >= state.link_expires_at:
        return LinkState.EXPIRED
    if state.status == ShortageStatus.RESTORED:
        return LinkState.RESTORED
    if state.status != ShortageStatus.OPEN:
        return LinkState.ENDED
    return LinkState.OPEN


def check_choice(
    state: ShortageState, *, choice: str, alternative_id: str | None, now: datetime
) -> list[Problem]:
    """Everything that stops a customer's choice, each naming its field."""
    problems = link_problems(state, now=now)
    if problems:
        return problems
    return choice_problems(state, choice=choice, alternative_id=alternative_id)


def link_problems(state: ShortageState, *, now: datetime) -> list[Problem]:
    """Why a genuine link no longer takes an answer ([] while it does)."""
    current = link_state(state, now=now)
    if current == LinkState.ANSWERED:
        return [
            Problem(
                "token",
                "ALREADY_USED",
                "This link was already used to answer; each link answers once. "
                "Contact the store to change your answer.",
            )
        ]
    if current == LinkState.EXPIRED:
        return [
            Problem(
                "token",
                "EXPIRED",
                f"This link expired at {state.link_expires_at:%Y-%m-%d %H:%M} UTC. "
                "Contact the store to choose what happens to the item.",
            )
        ]
    if current == LinkState.RESTORED:
        return [
            Problem(
                "token",
                "INVALID",
                "The item is back in stock and your order is on track; there is "
                "nothing to choose.",
            )
        ]
    if current == LinkState.ENDED:
        return [
            Problem(
                "token",
                "INVALID",
                "This item no longer waits for stock (it was fulfilled, cancelled "
                "or removed from the order).",
            )
        ]
    return []


def choice_problems(
    state: ShortageState, *, choice: str, alternative_id: str | None
) -> list[Problem]:
    """What is wrong with the answer itself, on a link that takes one."""
    if choice not in {c.value for c in Choice}:
        return [
            Problem(
                "choice",
                "INVALID",
                f"'{choice}' is not a choice; use one of: "
                + ", ".join(c.name for c in Choice)
                + ".",
            )
        ]
    if choice == Choice.SWITCH:
        if not alternative_id:
            return [
                Problem(
                    "alternative",
                    "REQUIRED",
                    "Choose one of the offered alternatives to switch to.",
                )
            ]
        if alternative_id not in state.offered_alternative_ids:
            return [
                Problem(
                    "alternative",
                    "INVALID",
                    "This product variant was not offered as an alternative; use "
                    "one of the offered ones"
                    + (
                        ": " + ", ".join(state.offered_alternative_ids) + "."
                        if state.offered_alternative_ids
                        else " (none was offered: choose WAIT or CANCEL)."
                    ),
                )
            ]
    elif alternative_id:
        return [
            Problem(
                "alternative",
                "INVALID",
                "An alternative is given only with the choice SWITCH.",
            )
        ]
    return []


@dataclass(frozen=True)
class OfferedAlternative:
    name: str
    price: Decimal


def shortage_subject(*, words: Words, item_name: str) -> str:
    """The notice's subject, also the heading of the choice page."""
    return words.gettext("We are sorry: %(item)s is not in stock") % {"item": item_name}


def shortage_apology(
    *, words: Words, item_name: str, quantity_short: int, quantity_ordered: int
) -> str:
    """What is missing, with the apology (the notice's and the page's first words)."""
    if quantity_short >= quantity_ordered:
        missing = words.gettext(
            "We are sorry: %(item)s from your order turned out not to be in stock."
        ) % {"item": item_name}
    else:
        missing = words.ngettext(
            "We are sorry: %(item)s from your order turned out not to be in stock; "
            "%(count)s of the %(ordered)s you ordered is missing.",
            "We are sorry: %(item)s from your order turned out not to be in stock; "
            "%(count)s of the %(ordered)s you ordered are missing.",
            quantity_short,
        ) % {"item": item_name, "count": quantity_short, "ordered": quantity_ordered}
    return (
        missing
        + " "
        + words.gettext(
            "We would rather tell you now than let your order wait without a word."
        )
    )


def restock_sentence(*, words: Words, estimate: date | None) -> str:
    """When the item should be back, as honestly as the store knows it."""
    if estimate is None:
        return words.gettext("We do not know yet when it will be back in stock.")
    return words.gettext("We expect it back in stock by %(date)s.") % {
        "date": words.date(estimate)
    }


def shortage_message(
    *,
    words: Words,
    item_name: str,
    quantity_short: int,
    quantity_ordered: int,
    currency: str,
    estimate: date | None,
    alternatives: list[OfferedAlternative],
    link: str,
) -> tuple[str, str]:
    """Subject and text of the notice that tells a customer an item is short, in
    the language of ``words`` (prices in the currency's own minor unit)."""
    paragraphs = [
        shortage_apology(
            words=words,
            item_name=item_name,
            quantity_short=quantity_short,
            quantity_ordered=quantity_ordered,
        ),
        restock_sentence(words=words, estimate=estimate),
    ]
    if alternatives:
        paragraphs.append(
            words.gettext(
                "You can wait for it, switch to an alternative or cancel the item."
            )
        )
        paragraphs.append(
            "\n".join(
                [
                    words.gettext("Alternatives in stock now:"),
                    *(
                        words.gettext("- %(name)s: %(price)s")
                        % {"name": a.name, "price": words.money(a.price, currency)}
                        for a in alternatives
                    ),
                ]
            )
        )
    else:
        paragraphs.append(words.gettext("You can wait for it or cancel the item."))
    if link:
        paragraphs.append(
            words.gettext("Tell us what you prefer here: %(link)s") % {"link": link}
        )
    else:
        paragraphs.append(
            words.gettext("Reply to this message to tell us what you prefer.")
        )
    return shortage_subject(words=words, item_name=item_name), "\n\n".join(paragraphs)


def restored_sentence(*, words: Words, item_name: str) -> str:
    """The good news: the item is back and the order on track."""
    return (
        words.gettext(
            "Good news: %(item)s is back in stock and your order is back on track."
        )
        % {"item": item_name}
        + " "
        + words.gettext("There is nothing you need to do.")
    )


def restored_message(*, words: Words, item_name: str) -> tuple[str, str]:
    """Subject and text of the good news, in the language of ``words``."""
    return (
        words.gettext("Good news: %(item)s is back in stock") % {"item": item_name},
        restored_sentence(words=words, item_name=item_name),
    )


CHOICE_WORDS = {
    Choice.WAIT: "to wait for the item",
    Choice.SWITCH: "to switch to {alternative}",
    Choice.CANCEL: "to cancel the item",
}


def choice_note(*, item_name: str, choice: str, alternative_name: str = "") -> str:
    """The sentence recorded in the history and the order's timeline."""
    words = CHOICE_WORDS[Choice(choice)].format(alternative=alternative_name)
    return f"The customer chose {words} ({item_name} is out of stock)."


ALERT_WORDS = {
    Choice.WAIT: "to wait for {item}",
    Choice.SWITCH: "to switch from {item} to {alternative}",
    Choice.CANCEL: "to cancel {item}",
}


def choice_alert_title(
    *, order_number: str, item_name: str, choice: str, alternative_name: str = ""
) -> str:
    """The title of the staff alert about a customer's choice."""
    words = ALERT_WORDS[Choice(choice)].format(
        item=item_name, alternative=alternative_name
    )
    return f"Order #{order_number}: the customer chose {words}"
