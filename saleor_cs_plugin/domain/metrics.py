"""Rules of the service metrics: how a share is worked out and rounded, which
service experience a first-time customer had, and what a metrics period may be.

Nothing here reads a database or a clock: the caller counts, this only divides,
sorts customers into experiences and checks the arguments.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from .history import Problem

# The longest period measured at once, in days: a year, a leap year too.
PERIOD_MAX_DAYS = 366
# How long after the first order a second one counts as a repeat purchase.
REPEAT_WITHIN_DAYS_MIN = 1
REPEAT_WITHIN_DAYS_MAX = 365
REPEAT_WITHIN_DAYS_DEFAULT = 90

_ONE_PLACE = Decimal("0.1")


def percent(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in percent with one decimal place, rounded half up;
    None when there is nothing to divide by."""
    if whole <= 0:
        return None
    part = max(0, min(part, whole))
    return (Decimal(100 * part) / Decimal(whole)).quantize(
        _ONE_PLACE, rounding=ROUND_HALF_UP
    )


class Experience(StrEnum):
    """The service a first-time customer had with their first order."""

    NO_PROBLEM = "no_problem"
    HANDLED_AS_WANTED = "handled_as_wanted"
    NOT_HANDLED_AS_WANTED = "not_handled_as_wanted"
    NO_ANSWER = "no_answer"


@dataclass(frozen=True)
class FirstOrderFacts:
    """What is known of a first order's service, from the plugin's tables.

    A problem: the customer was told of a delay, a line was short of stock, the
    store asked after a problem it handled, or a survey of the order said
    something went wrong (not satisfied, or anything picked as what went wrong).
    The answers are those of every survey about the order.
    """

    was_delay_told: bool = False
    had_stock_shortage: bool = False
    had_after_problem_survey: bool = False
    said_something_went_wrong: bool = False
    # "Did we handle the problem the way you wanted?": any Yes, any No.
    any_handled_yes: bool = False
    any_handled_no: bool = False
    # "Were you satisfied with how the entire process was handled?"
    any_satisfied_yes: bool = False
    any_satisfied_no: bool = False

    @property
    def had_problem(self) -> bool:
        return (
            self.was_delay_told
            or self.had_stock_shortage
            or self.had_after_problem_survey
            or self.said_something_went_wrong
        )


def experience(facts: FirstOrderFacts) -> Experience:
    """The customer's experience of their first order.

    The customer's own answer decides how a problem was handled: a "No" to "did we
    handle it the way you wanted?" outweighs a "Yes" to it (one problem handled
    badly is remembered); without that answer, "were you satisfied with how the
    entire process was handled?" says it; with neither, there is no answer.
    """
    if not facts.had_problem:
        return Experience.NO_PROBLEM
    if facts.any_handled_no:
        return Experience.NOT_HANDLED_AS_WANTED
    if facts.any_handled_yes:
        return Experience.HANDLED_AS_WANTED
    if facts.any_satisfied_no:
        return Experience.NOT_HANDLED_AS_WANTED
    if facts.any_satisfied_yes:
        return Experience.HANDLED_AS_WANTED
    return Experience.NO_ANSWER


@dataclass(frozen=True)
class RepeatGroup:
    """First-time customers of a period, and how many of them ordered again."""

    customers: int = 0
    repeated: int = 0

    @property
    def rate_percent(self) -> Decimal | None:
        return percent(self.repeated, self.customers)

    def __add__(self, other: "RepeatGroup") -> "RepeatGroup":
        return RepeatGroup(
            customers=self.customers + other.customers,
            repeated=self.repeated + other.repeated,
        )


@dataclass(frozen=True)
class RepeatPurchase:
    """The repeat-purchase rate of a period's first-time customers: all of them,
    and split by the service experience of their first order (every experience is
    a key, with zeros when nobody had it)."""

    within_days: int
    total: RepeatGroup = RepeatGroup()
    by_experience: dict[Experience, RepeatGroup] = field(
        default_factory=lambda: dict.fromkeys(Experience, RepeatGroup())
    )

    @property
    def rate_percent(self) -> Decimal | None:
        return self.total.rate_percent


def repeat_purchase(
    groups: list[tuple[FirstOrderFacts, int, int]], *, within_days: int
) -> RepeatPurchase:
    """Sum ``(facts, customers, repeated)`` groups into the split by experience."""
    by_experience = dict.fromkeys(Experience, RepeatGroup())
    for facts, customers, repeated in groups:
        kind = experience(facts)
        by_experience[kind] = by_experience[kind] + RepeatGroup(customers, repeated)
    total = sum(by_experience.values(), RepeatGroup())
    return RepeatPurchase(
        within_days=within_days, total=total, by_experience=by_experience
    )


def check_period(
    since: date, until: date, *, repeat_within_days: int | None = None
) -> list[Problem]:
    """Everything wrong with a metrics period [since, until), each problem naming
    its argument (GraphQL's name)."""
    problems = []
    if since >= until:
        problems.append(
            Problem(
                "until",
                "INVALID",
                "Must be later than since (the day after it at least).",
            )
        )
    elif (until - since).days > PERIOD_MAX_DAYS:
        problems.append(
            Problem(
                "until",
                "INVALID",
                f"The period is {(until - since).days} days; at most "
                f"{PERIOD_MAX_DAYS} are measured at once.",
            )
        )
    if repeat_within_days is not None and not (
        REPEAT_WITHIN_DAYS_MIN <= repeat_within_days <= REPEAT_WITHIN_DAYS_MAX
    ):
        problems.append(
            Problem(
                "repeatWithinDays",
                "INVALID",
                f"{repeat_within_days} days; allowed are {REPEAT_WITHIN_DAYS_MIN} to "
                f"{REPEAT_WITHIN_DAYS_MAX}.",
            )
        )
    return problems


def weeks(since: date, until: date) -> list[tuple[date, date]]:
    """[since, until) cut into weeks from ``since``: (first day, day after the
    last) each; the last week may be shorter."""
    spans = []
    start = since
    while start < until:
        end = min(until, date.fromordinal(start.toordinal() + 7))
        spans.append((start, end))
        start = end
    return spans
