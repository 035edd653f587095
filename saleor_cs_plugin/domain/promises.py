"""Rules of delivery promises: what date an order was promised, when it is at risk or
late, what honest new estimate to give, and what to tell the customer.

Nothing here reads a clock or a database: ``now`` and every order fact are parameters.
"""

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from .items import item_name
from .words import Words, gettext_noop

# A calendar always has a working day within this many days: settings reject a week
# without working days, and a year of holidays is the most a store can enter.
MAX_CALENDAR_SEARCH_DAYS = 400


class PromiseStatus(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    LATE = "late"
    SHIPPED_ON_TIME = "shipped_on_time"
    SHIPPED_LATE = "shipped_late"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


OPEN_STATUSES = frozenset(
    {PromiseStatus.ON_TRACK, PromiseStatus.AT_RISK, PromiseStatus.LATE}
)


class DelayStage(StrEnum):
    """How far a promise has slipped; each stage is told to the customer once."""

    NONE = ""
    AT_RISK = "at_risk"
    LATE = "late"
    FOLLOW_UP = "follow_up"


_STAGE_ORDER = [
    DelayStage.NONE,
    DelayStage.AT_RISK,
    DelayStage.LATE,
    DelayStage.FOLLOW_UP,
]


def stage_rank(stage: DelayStage) -> int:
    return _STAGE_ORDER.index(stage)


@dataclass(frozen=True)
class StoreCalendar:
    """When the store ships: working weekdays (0 is Monday), holidays, the local hour
    after which an order counts from the next working day, and handling days."""

    time_zone: str = "UTC"
    working_weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    holidays: frozenset[date] = frozenset()
    cutoff_hour: int = 14
    handling_days: int = 1

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.working_weekdays and day not in self.holidays

    def first_working_day(self, day: date) -> date:
        """``day`` itself if the store works then, else the next working day."""
        for offset in range(MAX_CALENDAR_SEARCH_DAYS):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise ValueError("The calendar has no working day.")

    def add_working_days(self, day: date, count: int) -> date:
        """The working day ``count`` working days after ``day`` (a working day)."""
        result = self.first_working_day(day)
        for _ in range(count):
            result = self.first_working_day(result + timedelta(days=1))
        return result

    def processing_day(self, moment: datetime) -> date:
        """The working day on which an order placed at ``moment`` starts to be handled."""
        local = moment.astimezone(ZoneInfo(self.time_zone))
        day = local.date()
        if local.hour >= self.cutoff_hour or not self.is_working_day(day):
            day += timedelta(days=1)
        return self.first_working_day(day)

    def end_of_day(self, day: date) -> datetime:
        """The moment ``day`` ends in the store's time zone (midnight after it)."""
        return datetime.combine(
            day + timedelta(days=1), time(0), tzinfo=ZoneInfo(self.time_zone)
        )


@dataclass(frozen=True)
class PromiseDates:
    ship_by: date
    deliver_from: date
    deliver_by: date
    ship_by_deadline: datetime


def promise_dates(
    ordered_at: datetime,
    *,
    calendar: StoreCalendar,
    minimum_delivery_days: int,
    maximum_delivery_days: int,
) -> PromiseDates:
    """The dates promised for an order placed at ``ordered_at``.

    The order ships within the handling days counted from the day it is processed;
    the carrier's minimum and maximum delivery days are counted in the store's
    working days after shipping (a conservative reading: the promise is never earlier
    than the carrier's own).
    """
    ship_by = calendar.add_working_days(
        calendar.processing_day(ordered_at), calendar.handling_days
    )
    return PromiseDates(
        ship_by=ship_by,
        deliver_from=calendar.add_working_days(ship_by, minimum_delivery_days),
        deliver_by=calendar.add_working_days(ship_by, maximum_delivery_days),
        ship_by_deadline=calendar.end_of_day(ship_by),
    )


@dataclass(frozen=True)
class DelayRules:
    """When a promise counts as at risk, when to follow up, how long a late order
    usually needs to ship."""

    at_risk_lead_hours: int = 24
    follow_up_days: int = 3
    late_shipping_days: int = 2


@dataclass(frozen=True)
class WaitingLine:
    product_name: str
    variant_name: str
    quantity: int
    sku: str = ""

    @property
    def name(self) -> str:
        return item_name(self.product_name, self.variant_name, self.sku)

    @property
    def description(self) -> str:
        return f"{self.quantity} × {self.name}"


@dataclass(frozen=True)
class OpenPromise:
    """What the sweep knows of one promise that is not closed."""

    ordered_at: datetime
    ship_by: date
    deliver_by: date
    ship_by_deadline: datetime
    maximum_delivery_days: int
    notified_stage: DelayStage
    waiting_lines: tuple[WaitingLine, ...]
    # When the last line that no longer waits shipped, if known.
    last_shipped_at: datetime | None = None


@dataclass(frozen=True)
class Estimate:
    ship_by: date
    deliver_by: date


@dataclass(frozen=True)
class Review:
    """The outcome of looking at an open promise at ``now``."""

    status: PromiseStatus
    stage_to_notify: DelayStage = DelayStage.NONE
    estimate: Estimate | None = None
    next_review_at: datetime | None = None
    is_closed: bool = False
    # A stage reached before the promise was recorded: marked, never told.
    passed_stage: DelayStage = DelayStage.NONE


def review_promise(
    promise: OpenPromise, *, now: datetime, rules: DelayRules, calendar: StoreCalendar
) -> Review:
    """Decide a promise's status, the stage to tell the customer (at most one, the
    furthest reached), and when to look again."""
    if not promise.waiting_lines:
        # Everything shipped, but the fulfilment hook was not seen: close it here.
        return Review(
            status=closing_status(
                shipped_at=promise.last_shipped_at or now,
                ship_by_deadline=promise.ship_by_deadline,
            ),
            is_closed=True,
        )
    deadline = promise.ship_by_deadline
    # Never at risk in the first half of the time the store had to ship: an order
    # placed close to its ship-by day is not bad news the moment it is placed.
    at_risk_at = max(
        deadline - timedelta(hours=rules.at_risk_lead_hours),
        promise.ordered_at + (deadline - promise.ordered_at) / 2,
    )
    follow_up_at = deadline + timedelta(days=rules.follow_up_days)
    has_at_risk_stage = rules.at_risk_lead_hours > 0
    has_follow_up = rules.follow_up_days > 0
    if now >= deadline:
        reached = (
            DelayStage.FOLLOW_UP
            if has_follow_up and now >= follow_up_at
            else DelayStage.LATE
        )
        status = PromiseStatus.LATE
        next_review_at = (
            follow_up_at if has_follow_up and reached == DelayStage.LATE else None
        )
    elif has_at_risk_stage and now >= at_risk_at:
        reached, status, next_review_at = (
            DelayStage.AT_RISK,
            PromiseStatus.AT_RISK,
            deadline,
        )
    else:
        reached = DelayStage.NONE
        status = PromiseStatus.ON_TRACK
        next_review_at = at_risk_at if has_at_risk_stage else deadline
    if stage_rank(reached) <= stage_rank(promise.notified_stage):
        return Review(status=status, next_review_at=next_review_at)
    return Review(
        status=status,
        stage_to_notify=reached,
        estimate=revised_estimate(
            promise, reached, now=now, rules=rules, calendar=calendar
        ),
        next_review_at=next_review_at,
    )


def first_review(
    promise: OpenPromise,
    *,
    recorded_at: datetime,
    rules: DelayRules,
    calendar: StoreCalendar,
) -> Review:
    """The review of a promise as it is recorded at ``recorded_at``.

    Recorded when the order is placed, nothing is reached yet. Recorded later (the
    sweep gives a promise to a recent order that has none, e.g. once the store sets
    default delivery days), the stage the order has already reached is passed
    without a notice: the customer never heard of the promise, and a delay notice
    out of the blue would surprise the merchant as much. Later stages are told as
    usual.
    """
    review = review_promise(promise, now=recorded_at, rules=rules, calendar=calendar)
    if not review.stage_to_notify:
        return review
    return replace(
        review, stage_to_notify=DelayStage.NONE, passed_stage=review.stage_to_notify
    )


def revised_estimate(
    promise: OpenPromise,
    stage: DelayStage,
    *,
    now: datetime,
    rules: DelayRules,
    calendar: StoreCalendar,
) -> Estimate:
    """An honest new estimate.

    At risk, the order may miss its ship-by day: expect it one working day later.
    Late, the order ships at the earliest ``late_shipping_days`` working days from
    the day it would be handled now; the carrier's maximum follows.
    """
    if stage == DelayStage.AT_RISK:
        ship_by = calendar.add_working_days(promise.ship_by, 1)
    else:
        ship_by = calendar.add_working_days(
            calendar.processing_day(now), rules.late_shipping_days
        )
    ship_by = max(ship_by, calendar.add_working_days(promise.ship_by, 1))
    return Estimate(
        ship_by=ship_by,
        deliver_by=max(
            calendar.add_working_days(ship_by, promise.maximum_delivery_days),
            promise.deliver_by,
        ),
    )


def closing_status(
    *, shipped_at: datetime, ship_by_deadline: datetime
) -> PromiseStatus:
    if shipped_at < ship_by_deadline:
        return PromiseStatus.SHIPPED_ON_TIME
    return PromiseStatus.SHIPPED_LATE


@dataclass(frozen=True)
class DelayMessage:
    subject: str
    message: str
    # The facts staff see on the order's timeline (dates, what waits), saying
    # nothing of whether the customer was told: the notice's outcome says that.
    staff_note: str
    data: dict = field(default_factory=dict)
    # What the order's notes about this notice are about, e.g. "Delivery promise
    # late" (see ``domain.notices.decided_note``).
    note_topic: str = ""


@dataclass(frozen=True)
class Apology:
    """An apology voucher told with a delay: its code, its value in the customer's
    language ("10%", "70,00 USD") and as staff read it on the order ("70.00 USD")."""

    code: str
    value: str
    staff_value: str


_NOTE_TOPICS = {
    DelayStage.AT_RISK: "Delivery promise at risk",
    DelayStage.LATE: "Delivery promise late",
    DelayStage.FOLLOW_UP: "Delivery promise still late (follow-up)",
}
_PASSED_STAGES = {
    DelayStage.AT_RISK: "at risk",
    DelayStage.LATE: "late",
    DelayStage.FOLLOW_UP: "late past its follow-up day",
}
# The customer's words of each stage: (subject, opening sentence).
_DELAY_WORDS = {
    DelayStage.AT_RISK: (
        gettext_noop("Order #%(order_number)s may ship later than we promised"),
        gettext_noop(
            "We are sorry: your order #%(order_number)s may not leave us by "
            "%(promised)s, the day we promised."
        ),
    ),
    DelayStage.LATE: (
        gettext_noop("Order #%(order_number)s is late"),
        gettext_noop(
            "We are sorry: your order #%(order_number)s did not leave us by "
            "%(promised)s as we promised."
        ),
    ),
    DelayStage.FOLLOW_UP: (
        gettext_noop("Order #%(order_number)s is still delayed"),
        gettext_noop(
            "We are sorry that your order #%(order_number)s, promised to ship by "
            "%(promised)s, has still not left us."
        ),
    ),
}


def passed_stage_note(stage: DelayStage, facts: str) -> str:
    """The order note of a stage passed without a notice (see ``first_review``)."""
    return (
        f"Delivery promise recorded late, when the order was already "
        f"{_PASSED_STAGES[stage]}: no notice for this stage; the customer was not "
        f"told. {facts}"
    ).strip()


def delay_facts(
    promise: OpenPromise, estimate: Estimate, apology: Apology | None = None
) -> str:
    """What staff read on the order about a delay (in English, as every note)."""
    items = "; ".join(line.description for line in promise.waiting_lines)
    facts = (
        f"Promised ship-by {promise.ship_by.isoformat()}; new estimate: ships by "
        f"{estimate.ship_by.isoformat()}, arrives by "
        f"{estimate.deliver_by.isoformat()}. Waiting: {items}."
    )
    if apology is not None:
        facts += f" Apology voucher {apology.code} ({apology.staff_value})."
    return facts


def _sentences(*sentences: str) -> str:
    return " ".join(sentence for sentence in sentences if sentence)


def delay_message(
    *,
    words: Words,
    order_number: str,
    promise: OpenPromise,
    stage: DelayStage,
    estimate: Estimate,
    apology: Apology | None = None,
) -> DelayMessage:
    """What the customer is told about a delay, in ``words``' language, and the note
    staff see on the order."""
    subject, opening = _DELAY_WORDS[stage]
    values = {
        "order_number": order_number,
        "promised": words.date(promise.ship_by),
        "items": words.every([line.description for line in promise.waiting_lines]),
        "ship_by": words.date(estimate.ship_by),
        "deliver_by": words.date(estimate.deliver_by),
    }
    message = _sentences(
        words.gettext(opening) % values,
        words.gettext("Still waiting: %(items)s.") % values,
        words.gettext(
            "Our honest new estimate: it ships by %(ship_by)s and arrives by "
            "%(deliver_by)s."
        )
        % values,
        words.gettext(
            "You can wait, and we will tell you as soon as it ships, or ask us to "
            "cancel the waiting items and be refunded for them: just reply or "
            "contact us."
        ),
        words.gettext(
            "As an apology, the code %(code)s takes %(value)s off your next order."
        )
        % {"code": apology.code, "value": apology.value}
        if apology is not None
        else "",
    )
    return DelayMessage(
        subject=words.gettext(subject) % values,
        message=message,
        staff_note=delay_facts(promise, estimate, apology),
        note_topic=_NOTE_TOPICS[stage],
        data={
            "stage": stage.value,
            "promisedShipBy": promise.ship_by.isoformat(),
            "promisedDeliverBy": promise.deliver_by.isoformat(),
            "estimatedShipBy": estimate.ship_by.isoformat(),
            "estimatedDeliverBy": estimate.deliver_by.isoformat(),
            "waitingLines": [
                {
                    "productName": line.product_name,
                    "variantName": line.variant_name,
                    "sku": line.sku,
                    "name": line.name,
                    "quantity": line.quantity,
                }
                for line in promise.waiting_lines
            ],
            **({"apologyVoucherCode": apology.code} if apology is not None else {}),
        },
    )


def on_the_way_message(
    *,
    words: Words,
    order_number: str,
    tracking_number: str,
    deliver_by: date,
    still_waiting: tuple[WaitingLine, ...] = (),
) -> DelayMessage:
    """The good news that a delayed order (or part of it) has shipped, in ``words``'
    language."""
    values = {
        "order_number": order_number,
        "tracking_number": tracking_number,
        "date": words.date(deliver_by),
        "items": words.every([line.description for line in still_waiting]),
    }
    if still_waiting:
        opening = words.gettext(
            "Good news: part of your delayed order #%(order_number)s has shipped."
        )
        rest = words.gettext(
            "Still waiting: %(items)s; we will tell you when it ships."
        )
    else:
        opening = words.gettext(
            "Good news: your delayed order #%(order_number)s has shipped."
        )
        rest = ""
    tracking = (
        words.gettext("Its tracking number is %(tracking_number)s.")
        if tracking_number
        else ""
    )
    staff_items = "; ".join(line.description for line in still_waiting)
    return DelayMessage(
        subject=words.gettext("Order #%(order_number)s is on the way") % values,
        message=_sentences(
            opening % values,
            tracking % values,
            words.gettext("We expect it to arrive by %(date)s.") % values,
            rest % values,
            words.gettext("Thank you for your patience."),
        ),
        staff_note=(
            (f"Tracking {tracking_number}." if tracking_number else "")
            + (f" Still waiting: {staff_items}." if still_waiting else "")
        ).strip(),
        note_topic="Delayed order shipped" + (" in part" if still_waiting else ""),
        data={
            "trackingNumber": tracking_number,
            "estimatedDeliverBy": deliver_by.isoformat(),
            "isPartial": bool(still_waiting),
        },
    )


# The notice types that tell of a delay stage (``domain.notices.NoticeType``).
DELAY_NOTICE_TYPES = ("order_delay", "order_delay_follow_up")


def notice_stage(notice_type: str, data: dict) -> DelayStage | None:
    """The stage a delay notice tells of (from its ``data``), or None for another
    notice. A delay notice whose data is gone (anonymized) counts as the earliest
    stage its type may tell, so that the customer is never taken to know more."""
    if notice_type not in DELAY_NOTICE_TYPES:
        return None
    stage = (data or {}).get("stage")
    if stage and stage in DelayStage.__members__.values():
        return DelayStage(stage)
    if notice_type == "order_delay_follow_up":
        return DelayStage.FOLLOW_UP
    return DelayStage.AT_RISK


def furthest_stage(stages) -> DelayStage:
    """The furthest of ``stages`` (NONE for none): e.g. of the stages whose notice
    was sent, the furthest the customer was told of."""
    return max(stages, key=stage_rank, default=DelayStage.NONE)


def may_issue_apology(*, issued_today: int, daily_limit: int) -> bool:
    """Whether another apology voucher fits in the channel's daily limit (0: none)."""
    return issued_today < daily_limit


@dataclass(frozen=True)
class Problem:
    """Why an input is refused: the input it concerns and what is wrong."""

    field: str
    message: str


def delivery_problem(
    *,
    status: PromiseStatus,
    delivered_at: datetime,
    ordered_at: datetime,
    now: datetime,
) -> Problem | None:
    """Why a delivery cannot be confirmed; None when it can."""
    if status == PromiseStatus.DELIVERED:
        return Problem("order", "The delivery of this order is confirmed already.")
    if status not in (PromiseStatus.SHIPPED_ON_TIME, PromiseStatus.SHIPPED_LATE):
        return Problem(
            "order",
            f"The order has not shipped (its promise is {status.value}); confirm the "
            "delivery after every promised line has shipped.",
        )
    if delivered_at > now:
        return Problem("deliveredAt", "The delivery time is in the future.")
    if delivered_at < ordered_at:
        return Problem(
            "deliveredAt", "The delivery time is before the order was placed."
        )
    return None


def is_delivered_on_time(
    *, delivered_at: datetime, deliver_by: date, time_zone: str
) -> bool:
    """Whether a delivery came by the end of the promised day, in the store's zone."""
    return delivered_at.astimezone(ZoneInfo(time_zone)).date() <= deliver_by
