"""Delivery promises: promised dates, at risk and late, honest estimates, messages."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from saleor_cs_plugin.config import (
    ApologyVoucherSettings,
    PromiseSettings,
    SettingsError,
    parse_channel_settings,
)
from saleor_cs_plugin.domain.promises import (
    Apology,
    DelayRules,
    DelayStage,
    Estimate,
    OpenPromise,
    Problem,
    PromiseStatus,
    StoreCalendar,
    WaitingLine,
    closing_status,
    delay_message,
    first_review,
    furthest_stage,
    notice_stage,
    passed_stage_note,
    delivery_problem,
    is_delivered_on_time,
    may_issue_apology,
    on_the_way_message,
    promise_dates,
    review_promise,
)

# 2026-03-02 is a Monday.
MONDAY = date(2026, 3, 2)
CALENDAR = StoreCalendar(
    time_zone="Europe/Warsaw",
    working_weekdays=frozenset({0, 1, 2, 3, 4}),
    holidays=frozenset({date(2026, 3, 4)}),
    cutoff_hour=14,
    handling_days=1,
)


def _warsaw(day, hour, minute=0):
    # March 2026: Warsaw is UTC+1.
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC) - timedelta(hours=1)


@pytest.mark.parametrize(
    ("ordered_at", "ship_by", "deliver_from", "deliver_by"),
    [
        # Monday morning: processed Monday, ships Tuesday (1 handling day); 2 and 5
        # working days later, skipping the Wednesday holiday and the weekend.
        (_warsaw(2, 9), date(2026, 3, 3), date(2026, 3, 6), date(2026, 3, 11)),
        # Monday 14:00 local is past the cut-off: processed Tuesday, ships Thursday
        # (Wednesday is a holiday).
        (_warsaw(2, 14), date(2026, 3, 5), date(2026, 3, 9), date(2026, 3, 12)),
        # 13:59 local is still before the cut-off, though 12:59 UTC.
        (_warsaw(2, 13, 59), date(2026, 3, 3), date(2026, 3, 6), date(2026, 3, 11)),
        # Saturday: processed Monday.
        (_warsaw(7, 10), date(2026, 3, 10), date(2026, 3, 12), date(2026, 3, 17)),
    ],
)
def test_promised_dates_follow_cut_off_working_days_and_holidays(
    ordered_at, ship_by, deliver_from, deliver_by
):
    dates = promise_dates(
        ordered_at, calendar=CALENDAR, minimum_delivery_days=2, maximum_delivery_days=5
    )
    assert (dates.ship_by, dates.deliver_from, dates.deliver_by) == (
        ship_by,
        deliver_from,
        deliver_by,
    )
    # The ship-by day ends at local midnight.
    assert dates.ship_by_deadline == datetime(
        ship_by.year, ship_by.month, ship_by.day, tzinfo=UTC
    ) + timedelta(hours=23)


def test_zero_handling_days_ships_on_the_processing_day():
    calendar = StoreCalendar(handling_days=0, cutoff_hour=24)
    dates = promise_dates(
        datetime(2026, 3, 2, 23, 30, tzinfo=UTC),
        calendar=calendar,
        minimum_delivery_days=0,
        maximum_delivery_days=0,
    )
    assert (dates.ship_by, dates.deliver_by) == (MONDAY, MONDAY)


def test_a_calendar_without_working_days_is_an_error():
    with pytest.raises(ValueError, match="no working day"):
        StoreCalendar(working_weekdays=frozenset()).first_working_day(MONDAY)


LINE = WaitingLine(product_name="Blue shirt", variant_name="M", quantity=2)
RULES = DelayRules(at_risk_lead_hours=24, follow_up_days=3, late_shipping_days=2)
UTC_CALENDAR = StoreCalendar(cutoff_hour=14, handling_days=1)
# Ship by Tuesday 3 March (ends at midnight UTC), deliver by Monday 9 March.
DEADLINE = datetime(2026, 3, 4, tzinfo=UTC)
ORDERED_AT = datetime(2026, 3, 1, 9, tzinfo=UTC)


def _promise(notified=DelayStage.NONE, lines=(LINE,)):
    return OpenPromise(
        ordered_at=ORDERED_AT,
        ship_by=date(2026, 3, 3),
        deliver_by=date(2026, 3, 9),
        ship_by_deadline=DEADLINE,
        maximum_delivery_days=4,
        notified_stage=notified,
        waiting_lines=lines,
    )


@pytest.mark.parametrize(
    ("now", "notified", "status", "stage", "next_review_at"),
    [
        # Before the lead time: on track, look again when it becomes at risk.
        (
            DEADLINE - timedelta(hours=30),
            DelayStage.NONE,
            "on_track",
            "",
            DEADLINE - timedelta(hours=24),
        ),
        (
            DEADLINE - timedelta(hours=24),
            DelayStage.NONE,
            "at_risk",
            "at_risk",
            DEADLINE,
        ),
        # Already told it is at risk: nothing new until the deadline.
        (DEADLINE - timedelta(hours=2), DelayStage.AT_RISK, "at_risk", "", DEADLINE),
        (DEADLINE, DelayStage.AT_RISK, "late", "late", DEADLINE + timedelta(days=3)),
        # A sweep that missed the at-risk window tells only the furthest stage.
        (
            DEADLINE + timedelta(hours=1),
            DelayStage.NONE,
            "late",
            "late",
            DEADLINE + timedelta(days=3),
        ),
        (
            DEADLINE + timedelta(days=1),
            DelayStage.LATE,
            "late",
            "",
            DEADLINE + timedelta(days=3),
        ),
        (DEADLINE + timedelta(days=3), DelayStage.LATE, "late", "follow_up", None),
        (DEADLINE + timedelta(days=9), DelayStage.FOLLOW_UP, "late", "", None),
    ],
)
def test_review_tells_each_stage_once(now, notified, status, stage, next_review_at):
    review = review_promise(
        _promise(notified), now=now, rules=RULES, calendar=UTC_CALENDAR
    )
    assert review.status == status
    assert review.stage_to_notify == stage
    assert review.next_review_at == next_review_at
    assert review.is_closed is False
    assert (review.estimate is not None) == bool(stage)


@pytest.mark.parametrize(
    ("recorded_at", "status", "passed", "next_review_at"),
    [
        # Recorded as the order is placed: nothing reached, nothing passed.
        (ORDERED_AT, "on_track", "", DEADLINE - timedelta(hours=24)),
        # Recorded late (a backfill): the stage reached by then is passed untold,
        # and the sweep looks again when the next stage comes.
        (DEADLINE - timedelta(hours=2), "at_risk", "at_risk", DEADLINE),
        (
            DEADLINE + timedelta(hours=1),
            "late",
            "late",
            DEADLINE + timedelta(days=3),
        ),
        (DEADLINE + timedelta(days=4), "late", "follow_up", None),
    ],
)
def test_a_promise_recorded_late_passes_the_stage_it_reached_without_a_notice(
    recorded_at, status, passed, next_review_at
):
    review = first_review(
        _promise(), recorded_at=recorded_at, rules=RULES, calendar=UTC_CALENDAR
    )
    assert review.stage_to_notify == DelayStage.NONE
    assert (review.status, review.passed_stage, review.next_review_at) == (
        status,
        passed,
        next_review_at,
    )
    assert (review.estimate is not None) == bool(passed)


def test_the_next_stage_of_a_promise_recorded_late_is_told():
    recorded = first_review(
        _promise(),
        recorded_at=DEADLINE - timedelta(hours=2),
        rules=RULES,
        calendar=UTC_CALENDAR,
    )
    later = review_promise(
        _promise(recorded.passed_stage),
        now=recorded.next_review_at,
        rules=RULES,
        calendar=UTC_CALENDAR,
    )
    assert (recorded.passed_stage, later.stage_to_notify) == ("at_risk", "late")


@pytest.mark.parametrize(
    ("stage", "note"),
    [
        (
            DelayStage.AT_RISK,
            "Delivery promise recorded late, when the order was already at risk: no "
            "notice for this stage; the customer was not told. Waiting: 2 × Mug.",
        ),
        (
            DelayStage.FOLLOW_UP,
            "Delivery promise recorded late, when the order was already late past "
            "its follow-up day: no notice for this stage; the customer was not told. "
            "Waiting: 2 × Mug.",
        ),
    ],
)
def test_passed_stage_note(stage, note):
    assert passed_stage_note(stage, "Waiting: 2 × Mug.") == note


@pytest.mark.parametrize(
    ("notice_type", "data", "stage"),
    [
        ("order_delay", {"stage": "at_risk"}, DelayStage.AT_RISK),
        ("order_delay", {"stage": "late"}, DelayStage.LATE),
        ("order_delay_follow_up", {"stage": "follow_up"}, DelayStage.FOLLOW_UP),
        # Anonymized: the earliest stage the type may tell.
        ("order_delay", {}, DelayStage.AT_RISK),
        ("order_delay", None, DelayStage.AT_RISK),
        ("order_delay_follow_up", {}, DelayStage.FOLLOW_UP),
        ("order_on_the_way", {"stage": "late"}, None),
        ("stock_shortage", {}, None),
    ],
)
def test_the_stage_a_notice_tells_of(notice_type, data, stage):
    assert notice_stage(notice_type, data) == stage


@pytest.mark.parametrize(
    ("stages", "furthest"),
    [
        ([], DelayStage.NONE),
        ([DelayStage.AT_RISK], DelayStage.AT_RISK),
        ([DelayStage.LATE, DelayStage.AT_RISK], DelayStage.LATE),
        (
            [DelayStage.AT_RISK, DelayStage.FOLLOW_UP, DelayStage.LATE],
            DelayStage.FOLLOW_UP,
        ),
    ],
)
def test_furthest_stage(stages, furthest):
    assert furthest_stage(stages) == furthest


def test_an_order_is_not_at_risk_in_the_first_half_of_its_handling_time():
    # Placed 20 hours before its deadline with a 24-hour lead: at risk only from
    # 10 hours before the deadline.
    promise = OpenPromise(
        ordered_at=DEADLINE - timedelta(hours=20),
        ship_by=date(2026, 3, 3),
        deliver_by=date(2026, 3, 9),
        ship_by_deadline=DEADLINE,
        maximum_delivery_days=4,
        notified_stage=DelayStage.NONE,
        waiting_lines=(LINE,),
    )
    placed = review_promise(
        promise, now=promise.ordered_at, rules=RULES, calendar=UTC_CALENDAR
    )
    later = review_promise(
        promise, now=DEADLINE - timedelta(hours=10), rules=RULES, calendar=UTC_CALENDAR
    )
    assert (placed.status, placed.stage_to_notify, placed.next_review_at) == (
        "on_track",
        "",
        DEADLINE - timedelta(hours=10),
    )
    assert (later.status, later.stage_to_notify) == ("at_risk", "at_risk")


def test_without_at_risk_or_follow_up_stages_only_late_is_told():
    rules = DelayRules(at_risk_lead_hours=0, follow_up_days=0)
    early = review_promise(
        _promise(),
        now=DEADLINE - timedelta(hours=1),
        rules=rules,
        calendar=UTC_CALENDAR,
    )
    late = review_promise(
        _promise(),
        now=DEADLINE + timedelta(days=30),
        rules=rules,
        calendar=UTC_CALENDAR,
    )
    assert (early.status, early.stage_to_notify, early.next_review_at) == (
        "on_track",
        "",
        DEADLINE,
    )
    assert (late.status, late.stage_to_notify, late.next_review_at) == (
        "late",
        "late",
        None,
    )


@pytest.mark.parametrize(
    ("now", "status"),
    [(DEADLINE - timedelta(seconds=1), "shipped_on_time"), (DEADLINE, "shipped_late")],
)
def test_a_promise_with_nothing_waiting_closes(now, status):
    review = review_promise(
        _promise(lines=()), now=now, rules=RULES, calendar=UTC_CALENDAR
    )
    assert (review.status, review.is_closed, review.stage_to_notify) == (
        status,
        True,
        "",
    )


@pytest.mark.parametrize(
    ("now", "stage", "ship_by", "deliver_by"),
    [
        # At risk: one working day after the promised Tuesday; delivery 4 days on.
        (
            DEADLINE - timedelta(hours=3),
            DelayStage.AT_RISK,
            date(2026, 3, 4),
            date(2026, 3, 10),
        ),
        # Late on Wednesday 08:00: processed Wednesday, ships 2 working days later.
        (
            DEADLINE + timedelta(hours=8),
            DelayStage.LATE,
            date(2026, 3, 6),
            date(2026, 3, 12),
        ),
        # Still late on Saturday: processed Monday, ships Wednesday.
        (
            datetime(2026, 3, 7, 15, tzinfo=UTC),
            DelayStage.FOLLOW_UP,
            date(2026, 3, 11),
            date(2026, 3, 17),
        ),
    ],
)
def test_revised_estimates_are_honest(now, stage, ship_by, deliver_by):
    notified = {
        DelayStage.AT_RISK: DelayStage.NONE,
        DelayStage.LATE: DelayStage.AT_RISK,
        DelayStage.FOLLOW_UP: DelayStage.LATE,
    }[stage]
    review = review_promise(
        _promise(notified), now=now, rules=RULES, calendar=UTC_CALENDAR
    )
    assert review.stage_to_notify == stage
    assert review.estimate == Estimate(ship_by=ship_by, deliver_by=deliver_by)


@pytest.mark.parametrize(
    ("shipped_at", "status"),
    [
        (DEADLINE - timedelta(minutes=1), PromiseStatus.SHIPPED_ON_TIME),
        (DEADLINE, PromiseStatus.SHIPPED_LATE),
    ],
)
def test_closing_status(shipped_at, status):
    assert closing_status(shipped_at=shipped_at, ship_by_deadline=DEADLINE) == status


def test_late_message_names_items_dates_and_options(english):
    message = delay_message(
        words=english,
        order_number="1042",
        promise=_promise(),
        stage=DelayStage.LATE,
        estimate=Estimate(ship_by=date(2026, 3, 6), deliver_by=date(2026, 3, 12)),
    )
    assert message.subject == "Order #1042 is late"
    assert message.message == (
        "We are sorry: your order #1042 did not leave us by March 3, 2026 as we "
        "promised. Still waiting: 2 × Blue shirt (M). Our honest new estimate: it "
        "ships by March 6, 2026 and arrives by March 12, 2026. You can wait, and we "
        "will tell you as soon as it ships, or ask us to cancel the waiting items and "
        "be refunded for them: just reply or contact us."
    )
    assert message.staff_note == (
        "Promised ship-by 2026-03-03; new estimate: ships by 2026-03-06, arrives by "
        "2026-03-12. Waiting: 2 × Blue shirt (M)."
    )
    assert message.note_topic == "Delivery promise late"
    assert message.data == {
        "stage": "late",
        "promisedShipBy": "2026-03-03",
        "promisedDeliverBy": "2026-03-09",
        "estimatedShipBy": "2026-03-06",
        "estimatedDeliverBy": "2026-03-12",
        "waitingLines": [
            {
                "productName": "Blue shirt",
                "variantName": "M",
                "sku": "",
                "name": "Blue shirt (M)",
                "quantity": 2,
            }
        ],
    }


ESTIMATE = Estimate(ship_by=date(2026, 12, 4), deliver_by=date(2026, 12, 10))
DECEMBER_PROMISE = OpenPromise(
    ordered_at=datetime(2026, 11, 29, 9, tzinfo=UTC),
    ship_by=date(2026, 12, 1),
    deliver_by=date(2026, 12, 7),
    ship_by_deadline=datetime(2026, 12, 2, tzinfo=UTC),
    maximum_delivery_days=4,
    notified_stage=DelayStage.NONE,
    waiting_lines=(
        WaitingLine("Koszula lniana", "Niebieska / M", 2),
        WaitingLine("Kubek", "", 1),
    ),
)


@pytest.mark.parametrize(
    ("stage", "subject", "opening"),
    [
        (
            DelayStage.AT_RISK,
            "Zamówienie nr 1042 może zostać wysłane później, niż obiecaliśmy",
            "Przepraszamy: Twoje zamówienie nr 1042 może nie zostać wysłane do "
            "1 grudnia 2026, czyli w obiecanym terminie.",
        ),
        (
            DelayStage.LATE,
            "Zamówienie nr 1042 jest opóźnione",
            "Przepraszamy: Twoje zamówienie nr 1042 nie zostało wysłane do "
            "1 grudnia 2026, jak obiecaliśmy.",
        ),
        (
            DelayStage.FOLLOW_UP,
            "Zamówienie nr 1042 jest nadal opóźnione",
            "Przepraszamy, że Twoje zamówienie nr 1042, którego wysyłkę obiecaliśmy "
            "do 1 grudnia 2026, wciąż nie zostało wysłane.",
        ),
    ],
)
def test_a_delay_is_told_in_polish(polish, stage, subject, opening):
    message = delay_message(
        words=polish,
        order_number="1042",
        promise=DECEMBER_PROMISE,
        stage=stage,
        estimate=ESTIMATE,
    )
    assert message.subject == subject
    assert message.message == (
        f"{opening} Do wysyłki pozostało: 2 × Koszula lniana (Niebieska / M) i "
        "1 × Kubek. Nasz nowy, realny termin: wysyłka do 4 grudnia 2026, dostawa do "
        "10 grudnia 2026. Możesz poczekać – damy Ci znać, gdy tylko zamówienie "
        "zostanie wysłane – albo poprosić nas o anulowanie oczekujących produktów i "
        "zwrot pieniędzy za nie: wystarczy odpowiedzieć na tę wiadomość lub "
        "skontaktować się z nami."
    )
    # Staff read the order's timeline in English, whatever the customer's language.
    assert (
        message.note_topic
        == {
            DelayStage.AT_RISK: "Delivery promise at risk",
            DelayStage.LATE: "Delivery promise late",
            DelayStage.FOLLOW_UP: "Delivery promise still late (follow-up)",
        }[stage]
    )
    assert message.staff_note == (
        "Promised ship-by 2026-12-01; new estimate: ships by 2026-12-04, arrives by "
        "2026-12-10. Waiting: 2 × Koszula lniana (Niebieska / M); 1 × Kubek."
    )


def test_a_late_order_is_told_in_german(german):
    message = delay_message(
        words=german,
        order_number="1042",
        promise=DECEMBER_PROMISE,
        stage=DelayStage.LATE,
        estimate=ESTIMATE,
        apology=Apology("SORRY-ABC", "5,00\xa0€", "€5.00"),
    )
    assert message.subject == "Bestellung Nr. 1042 verspätet sich"
    assert message.message == (
        "Es tut uns leid: Ihre Bestellung Nr. 1042 wurde nicht wie versprochen bis "
        "zum 1. Dezember 2026 versandt. Noch ausstehend: 2 × Koszula lniana "
        "(Niebieska / M) und 1 × Kubek. Unsere ehrliche neue Schätzung: Versand bis "
        "zum 4. Dezember 2026, Zustellung bis zum 10. Dezember 2026. Sie können "
        "warten – wir sagen Ihnen Bescheid, sobald die Bestellung versandt wird – oder "
        "uns bitten, die ausstehenden Artikel zu stornieren und Ihnen den Betrag dafür "
        "zu erstatten: Antworten Sie einfach auf diese Nachricht oder kontaktieren Sie "
        "uns. Als Entschuldigung erhalten Sie mit dem Code SORRY-ABC 5,00\xa0€ Rabatt "
        "auf Ihre nächste Bestellung."
    )
    assert message.staff_note.endswith(" Apology voucher SORRY-ABC (€5.00).")


@pytest.mark.parametrize(
    ("line", "description"),
    [
        (
            WaitingLine("Linen shirt", "Blue / M", 2, "LS-BM"),
            "2 × Linen shirt (Blue / M)",
        ),
        # Saleor's stand-in for a variant without a name: its GraphQL id.
        (
            WaitingLine("Apple Juice", "UHJvZHVjdFZhcmlhbnQ6Mzg0", 1, "AJ-1L"),
            "1 × Apple Juice (AJ-1L)",
        ),
        (
            WaitingLine("Apple Juice", "UHJvZHVjdFZhcmlhbnQ6Mzg0", 1, ""),
            "1 × Apple Juice",
        ),
        (WaitingLine("Apple Juice", "ID:384", 3, "AJ-1L"), "3 × Apple Juice (AJ-1L)"),
        (WaitingLine("Mug", "Mug", 1, "MUG"), "1 × Mug"),
        (WaitingLine("Mug", "", 1, "MUG"), "1 × Mug"),
    ],
)
def test_waiting_lines_are_named_by_product_and_variant_or_sku(line, description):
    assert line.description == description


def test_delay_notes_name_a_variant_without_a_name_by_its_sku(english):
    line = WaitingLine("Apple Juice", "UHJvZHVjdFZhcmlhbnQ6Mzg0", 1, "AJ-1L")
    message = delay_message(
        words=english,
        order_number="12",
        promise=_promise(lines=(line,)),
        stage=DelayStage.AT_RISK,
        estimate=Estimate(ship_by=date(2026, 3, 5), deliver_by=date(2026, 3, 11)),
    )
    assert message.note_topic == "Delivery promise at risk"
    assert message.staff_note.endswith(" Waiting: 1 × Apple Juice (AJ-1L).")
    assert "Still waiting: 1 × Apple Juice (AJ-1L)." in message.message
    assert "UHJvZHVj" not in message.message + message.staff_note
    assert message.data["waitingLines"] == [
        {
            "productName": "Apple Juice",
            "variantName": "UHJvZHVjdFZhcmlhbnQ6Mzg0",
            "sku": "AJ-1L",
            "name": "Apple Juice (AJ-1L)",
            "quantity": 1,
        }
    ]


def test_items_still_waiting_are_listed_as_the_language_lists_them(english):
    lines = (LINE, WaitingLine("Mug", "", 1), WaitingLine("Cap", "Red", 3))
    message = delay_message(
        words=english,
        order_number="12",
        promise=_promise(lines=lines),
        stage=DelayStage.AT_RISK,
        estimate=Estimate(ship_by=date(2026, 3, 5), deliver_by=date(2026, 3, 11)),
    )
    assert (
        "Still waiting: 2 × Blue shirt (M), 1 × Mug, and 3 × Cap (Red)."
        in message.message
    )
    assert message.staff_note.endswith(
        " Waiting: 2 × Blue shirt (M); 1 × Mug; 3 × Cap (Red)."
    )


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("english", "As an apology, the code SORRY-ABC takes 10% off your next order."),
        (
            "polish",
            "W ramach przeprosin kod SORRY-ABC obniży cenę Twojego następnego "
            "zamówienia o 10%.",
        ),
    ],
)
def test_follow_up_message_carries_the_apology_code(request, language, sentence):
    message = delay_message(
        words=request.getfixturevalue(language),
        order_number="7",
        promise=_promise(lines=(WaitingLine("Mug", "Mug", 1),)),
        stage=DelayStage.FOLLOW_UP,
        estimate=Estimate(ship_by=date(2026, 3, 11), deliver_by=date(2026, 3, 17)),
        apology=Apology("SORRY-ABC", "10%", "10%"),
    )
    assert message.message.endswith(" " + sentence)
    assert message.staff_note.endswith(" Apology voucher SORRY-ABC (10%).")
    assert message.note_topic == "Delivery promise still late (follow-up)"
    assert message.data["apologyVoucherCode"] == "SORRY-ABC"


def test_the_follow_up_subject(english):
    message = delay_message(
        words=english,
        order_number="7",
        promise=_promise(lines=(WaitingLine("Mug", "Mug", 1),)),
        stage=DelayStage.FOLLOW_UP,
        estimate=Estimate(ship_by=date(2026, 3, 11), deliver_by=date(2026, 3, 17)),
    )
    assert message.subject == "Order #7 is still delayed"
    assert message.message.startswith(
        "We are sorry that your order #7, promised to ship by March 3, 2026, has "
        "still not left us. Still waiting: 1 × Mug."
    )
    assert "apologyVoucherCode" not in message.data


def test_on_the_way_message_with_and_without_tracking(english):
    with_tracking = on_the_way_message(
        words=english,
        order_number="9",
        tracking_number="TRK-1",
        deliver_by=date(2026, 3, 12),
    )
    without = on_the_way_message(
        words=english, order_number="9", tracking_number="", deliver_by=MONDAY
    )
    partial = on_the_way_message(
        words=english,
        order_number="9",
        tracking_number="",
        deliver_by=MONDAY,
        still_waiting=(LINE,),
    )
    assert with_tracking.subject == "Order #9 is on the way"
    assert with_tracking.message == (
        "Good news: your delayed order #9 has shipped. Its tracking number is TRK-1. "
        "We expect it to arrive by March 12, 2026. Thank you for your patience."
    )
    assert without.message == (
        "Good news: your delayed order #9 has shipped. We expect it to arrive by "
        "March 2, 2026. Thank you for your patience."
    )
    assert (without.note_topic, without.staff_note) == ("Delayed order shipped", "")
    assert (with_tracking.note_topic, with_tracking.staff_note) == (
        "Delayed order shipped",
        "Tracking TRK-1.",
    )
    assert partial.message == (
        "Good news: part of your delayed order #9 has shipped. We expect it to arrive "
        "by March 2, 2026. Still waiting: 2 × Blue shirt (M); we will tell you "
        "when it ships. Thank you for your patience."
    )
    assert partial.data["isPartial"] is True
    assert (partial.note_topic, partial.staff_note) == (
        "Delayed order shipped in part",
        "Still waiting: 2 × Blue shirt (M).",
    )


@pytest.mark.parametrize(
    ("language", "subject", "message"),
    [
        (
            "polish",
            "Zamówienie nr 9 jest w drodze",
            "Dobra wiadomość: część Twojego opóźnionego zamówienia nr 9 została "
            "wysłana. Numer przesyłki: TRK-1. Spodziewamy się, że przesyłka dotrze "
            "najpóźniej 12 marca 2026. Do wysyłki pozostało: 2 × Blue shirt (M); damy "
            "Ci znać, gdy wyślemy resztę. Dziękujemy za cierpliwość.",
        ),
        (
            "german",
            "Bestellung Nr. 9 ist unterwegs",
            "Gute Nachricht: Ein Teil Ihrer verspäteten Bestellung Nr. 9 wurde "
            "versandt. Die Sendungsnummer lautet TRK-1. Wir erwarten die Zustellung "
            "bis zum 12. März 2026. Noch ausstehend: 2 × Blue shirt (M); wir sagen "
            "Ihnen Bescheid, sobald der Rest versandt wird. Vielen Dank für Ihre "
            "Geduld.",
        ),
    ],
)
def test_on_the_way_is_told_in_the_customers_language(
    request, language, subject, message
):
    news = on_the_way_message(
        words=request.getfixturevalue(language),
        order_number="9",
        tracking_number="TRK-1",
        deliver_by=date(2026, 3, 12),
        still_waiting=(LINE,),
    )
    assert (news.subject, news.message) == (subject, message)
    assert (news.note_topic, news.staff_note) == (
        "Delayed order shipped in part",
        "Tracking TRK-1. Still waiting: 2 × Blue shirt (M).",
    )


def test_a_whole_delayed_order_shipped_is_told_in_polish(polish):
    news = on_the_way_message(
        words=polish, order_number="5", tracking_number="", deliver_by=date(2026, 12, 1)
    )
    assert news.message == (
        "Dobra wiadomość: Twoje opóźnione zamówienie nr 5 zostało wysłane. "
        "Spodziewamy się, że przesyłka dotrze najpóźniej 1 grudnia 2026. Dziękujemy "
        "za cierpliwość."
    )


@pytest.mark.parametrize(
    ("issued_today", "daily_limit", "allowed"),
    [(0, 1, True), (1, 1, False), (0, 0, False)],
)
def test_apology_vouchers_respect_the_daily_limit(issued_today, daily_limit, allowed):
    assert (
        may_issue_apology(issued_today=issued_today, daily_limit=daily_limit) is allowed
    )


def test_promise_settings_defaults():
    assert parse_channel_settings({}).promises == PromiseSettings()


def test_promise_settings_are_parsed():
    parsed = parse_channel_settings(
        {
            "time_zone": "Europe/Warsaw",
            "promise_handling_days": "2",
            "promise_cutoff_hour": "24",
            "promise_working_days": "Mon, tue,sat",
            "promise_holidays": "2026-12-25  # Christmas\n\n2026-12-26",
            "promise_default_delivery_days": "2-5",
            "delay_at_risk_hours": "0",
            "delay_follow_up_days": "5",
            "delay_shipping_days": "3",
            "apology_voucher": "5.50",
            "apology_voucher_valid_days": "14",
            "apology_vouchers_per_day": "7",
        }
    ).promises
    assert parsed == PromiseSettings(
        calendar=StoreCalendar(
            time_zone="Europe/Warsaw",
            working_weekdays=frozenset({0, 1, 5}),
            holidays=frozenset({date(2026, 12, 25), date(2026, 12, 26)}),
            cutoff_hour=24,
            handling_days=2,
        ),
        rules=DelayRules(at_risk_lead_hours=0, follow_up_days=5, late_shipping_days=3),
        default_delivery_days=(2, 5),
        apology_voucher=ApologyVoucherSettings(
            is_percentage=False, value=Decimal("5.50"), valid_days=14, per_day=7
        ),
    )
    assert parsed.apology_voucher.is_enabled


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        (
            {"promise_handling_days": "-1"},
            {"promise_handling_days": "'-1' is not a whole number from 0 to 30."},
        ),
        (
            {"promise_working_days": "mon,fryday"},
            {
                "promise_working_days": "'mon,fryday' is not a comma-separated list "
                "of at least one of: mon, tue, wed, thu, fri, sat, sun."
            },
        ),
        (
            {"promise_working_days": " "},
            {
                "promise_working_days": "'' is not a comma-separated list of at "
                "least one of: mon, tue, wed, thu, fri, sat, sun."
            },
        ),
        (
            {"promise_holidays": "2026-12-25\n25.12.2026"},
            {"promise_holidays": "line 2 '25.12.2026' is not a date as YYYY-MM-DD."},
        ),
        (
            {"promise_default_delivery_days": "5-2"},
            {
                "promise_default_delivery_days": "'5-2' is not 'min-max' with whole "
                "days from 0 to 365 and min not above max, e.g. '2-5'; leave it "
                "empty for no default."
            },
        ),
        (
            {"apology_voucher": "110%"},
            {
                "apology_voucher": "'110%' is not a percentage above 0 and at most "
                "100 (e.g. '10%') or an amount above 0 with at most two decimals "
                "(e.g. '5.00'); leave it empty for no voucher."
            },
        ),
        (
            {"apology_voucher": "0.001", "delay_shipping_days": "0"},
            {
                "apology_voucher": "'0.001' is not a percentage above 0 and at most "
                "100 (e.g. '10%') or an amount above 0 with at most two decimals "
                "(e.g. '5.00'); leave it empty for no voucher.",
                "delay_shipping_days": "'0' is not a whole number from 1 to 30.",
            },
        ),
    ],
)
def test_rejected_promise_settings(values, errors):
    with pytest.raises(SettingsError) as raised:
        parse_channel_settings(values)
    assert raised.value.errors == errors


NOW = datetime(2026, 3, 12, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "delivered_at", "problem"),
    [
        ("shipped_on_time", NOW, None),
        ("shipped_late", NOW - timedelta(days=2), None),
        (
            "delivered",
            NOW,
            Problem("order", "The delivery of this order is confirmed already."),
        ),
        (
            "late",
            NOW,
            Problem(
                "order",
                "The order has not shipped (its promise is late); confirm the delivery "
                "after every promised line has shipped.",
            ),
        ),
        (
            "shipped_on_time",
            NOW + timedelta(minutes=1),
            Problem("deliveredAt", "The delivery time is in the future."),
        ),
        (
            "shipped_on_time",
            ORDERED_AT - timedelta(seconds=1),
            Problem("deliveredAt", "The delivery time is before the order was placed."),
        ),
    ],
)
def test_delivery_confirmation_problems(status, delivered_at, problem):
    assert (
        delivery_problem(
            status=PromiseStatus(status),
            delivered_at=delivered_at,
            ordered_at=ORDERED_AT,
            now=NOW,
        )
        == problem
    )


@pytest.mark.parametrize(
    ("delivered_at", "time_zone", "on_time"),
    [
        (datetime(2026, 3, 9, 22, 59, tzinfo=UTC), "Europe/Warsaw", True),
        # 23:00 UTC is already 10 March in Warsaw.
        (datetime(2026, 3, 9, 23, 0, tzinfo=UTC), "Europe/Warsaw", False),
        (datetime(2026, 3, 9, 23, 0, tzinfo=UTC), "UTC", True),
    ],
)
def test_on_time_delivery_counts_the_promised_day_in_the_store_zone(
    delivered_at, time_zone, on_time
):
    assert (
        is_delivered_on_time(
            delivered_at=delivered_at, deliver_by=date(2026, 3, 9), time_zone=time_zone
        )
        is on_time
    )
