"""``serviceMetrics`` through /graphql/: every measure of a small store counted
exactly, the repeat purchases of first-time customers split by their experience,
the speed of answer of a constructed history of conversations in working time,
who may read which channel's metrics, errors naming the argument, and the same
number of queries for a few rows as for many."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import graphene
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time
from saleor.graphql.tests.utils import (
    assert_no_permission,
    get_graphql_content,
    get_graphql_content_from_response,
)
from saleor.order import FulfillmentStatus
from saleor.order.models import Fulfillment, FulfillmentLine, Order
from saleor.order.utils import update_order_status
from storefront import place_order, signed_in_now

from saleor_cs_plugin.domain.conversations import AnswerSpeed
from saleor_cs_plugin.domain.history import ContactChannel
from saleor_cs_plugin.domain.surveys import Moment, ProblemKind, SurveyStatus
from saleor_cs_plugin.metrics.measure import weekly
from saleor_cs_plugin.models import (
    Conversation,
    CouponFailure,
    DeliveryPromise,
    Notice,
    StockShortage,
    Survey,
)

pytestmark = pytest.mark.django_db

SINCE = date(2026, 11, 1)
UNTIL = date(2026, 12, 1)
IN_PERIOD = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)

METRICS = """
query Metrics($channel: String!, $since: Date!, $until: Date!, $within: Int) {
  serviceMetrics(channel: $channel, since: $since, until: $until,
                 repeatWithinDays: $within) {
    channel since until
    surveysSent surveysAnswered responseRate satisfied handledAsWanted
    whatWentWrong { answer count }
    whyNotCompleted { answer count }
    onTimeShipping onTimeDelivery firstContactResolution
    notices { type status count }
    couponFailures { reason count }
    returnRate
    repeatPurchase {
      withinDays
      all { customers repeated rate }
      byExperience { experience customers repeated rate }
    }
  }
}
"""

CONTACT_LOG = """
mutation Log($input: ServiceContactLogInput!) {
  serviceContactLog(input: $input) {
    entry { id }
    errors { field code message }
  }
}
"""


def _variables(channel="main", since=SINCE, until=UNTIL, within=None):
    variables = {"channel": channel, "since": str(since), "until": str(until)}
    if within is not None:
        variables["within"] = within
    return variables


@pytest.fixture
def store(plugin_configuration, channel_USD, product, shipping_method):
    """The plugin active in the USD channel, which takes unpaid orders."""
    plugin_configuration()
    product.variants.get().stocks.update(quantity=1000)
    channel_USD.allow_unpaid_orders = True
    channel_USD.automatically_confirm_all_new_orders = True
    channel_USD.save()

    def order(email, at, api_client):
        with freeze_time(at):
            placed = place_order(
                api_client,
                channel=channel_USD,
                lines=[(product.variants.get(), 1)],
                shipping_method=shipping_method,
                email=email,
            )
        _, order_id = graphene.Node.from_global_id(placed["id"])
        return Order.objects.get(pk=order_id)

    return order


def _survey(order, *, moment, sent_at=IN_PERIOD, problem="", **answers):
    is_answered = any(value not in (None, (), [], "") for value in answers.values())
    return Survey.objects.create(
        survey_key=f"{moment}:{problem}:{order.pk if order else answers}",
        moment=moment,
        problem_kind=problem,
        channel_id=order.channel_id,
        order=order,
        email=order.user_email,
        status=SurveyStatus.SENT,
        sent_at=sent_at,
        closes_at=sent_at + timedelta(days=14),
        first_answered_at=sent_at + timedelta(hours=1) if is_answered else None,
        answered_at=sent_at + timedelta(hours=1) if is_answered else None,
        **answers,
    )


def _told_of_a_delay(order, stage="late"):
    DeliveryPromise.objects.filter(order=order).update(notified_stage=stage)


def _short_of_stock(order):
    StockShortage.objects.create(
        order=order,
        order_line=order.lines.get(),
        quantity_short=1,
        link_nonce="nonce",
        link_expires_at=IN_PERIOD + timedelta(days=7),
    )


def _fulfilment(order, status):
    """The order's line in a fulfilment of ``status``; Saleor then works out the
    order's status from its fulfilments, as its mutations do."""
    line = order.lines.get()
    fulfilment = Fulfillment.objects.create(
        order=order, fulfillment_order=order.fulfillments.count() + 1, status=status
    )
    FulfillmentLine.objects.create(fulfillment=fulfilment, order_line=line, quantity=1)
    line.quantity_fulfilled = 0 if status == FulfillmentStatus.CANCELED else 1
    line.save(update_fields=["quantity_fulfilled"])
    update_order_status(order)


def _query(client, **variables):
    return client.post_graphql(METRICS, _variables(**variables))


def _metrics(client, **variables):
    return get_graphql_content(_query(client, **variables))["data"]["serviceMetrics"]


@pytest.fixture
def manager(staff_in_group, permission_manage_orders, permission_manage_users):
    return staff_in_group(permission_manage_orders, permission_manage_users)


def test_every_measure_of_a_small_store(
    store, manager, api_client, user_api_client, channel_USD
):
    # given: customers placing orders through the storefront
    returning = store("returning@example.com", "2026-10-10 10:00", api_client)
    returning_again = store("returning@example.com", "2026-11-05 10:00", api_client)
    calm = store("calm@example.com", "2026-11-03 10:00", api_client)
    store("calm@example.com", "2026-11-20 10:00", api_client)
    delayed = store("delayed@example.com", "2026-11-04 10:00", api_client)
    store("delayed@example.com", "2026-12-10 10:00", api_client)
    short = store("short@example.com", "2026-11-06 10:00", api_client)
    silent = store("silent@example.com", "2026-11-07 10:00", api_client)
    late_again = store("late-again@example.com", "2026-11-08 10:00", api_client)
    store("late-again@example.com", "2027-03-01 10:00", api_client)
    outside = store("december@example.com", "2026-12-02 10:00", api_client)

    # the service they had: a delay told and handled as wanted, a shortage not
    # handled so, a delay nobody answered about
    _told_of_a_delay(delayed)
    _survey(
        delayed,
        moment=Moment.AFTER_PROBLEM,
        problem=ProblemKind.DELAY,
        handled_as_wanted=True,
    )
    _short_of_stock(short)
    _survey(
        short,
        moment=Moment.COMPLETED,
        satisfied=False,
        what_went_wrong=["missing_or_out_of_stock", "slow_answer"],
        handled_as_wanted=False,
    )
    _told_of_a_delay(silent, stage="at_risk")
    _survey(calm, moment=Moment.COMPLETED, satisfied=True)
    _survey(late_again, moment=Moment.COMPLETED)  # sent, not answered
    _survey(
        returning_again,
        moment=Moment.COMPLETED,
        satisfied=False,
        what_went_wrong=["late"],
    )
    # a survey of October and one of December are not of the period
    _survey(
        returning,
        moment=Moment.COMPLETED,
        satisfied=False,
        sent_at=datetime(2026, 10, 31, 23, 59, tzinfo=UTC),
    )
    _survey(
        outside,
        moment=Moment.COMPLETED,
        satisfied=False,
        sent_at=datetime(2026, 12, 1, tzinfo=UTC),
    )

    # promises: two shipped in the period (one late), three delivered (one late)
    promises = {p.order_id: p for p in DeliveryPromise.objects.all()}
    assert len(promises) == 11
    for order, shipped_late in ((calm, False), (delayed, True)):
        promise = promises[order.pk]
        promise.status = "shipped_late" if shipped_late else "shipped_on_time"
        promise.shipped_at = promise.ship_by_deadline + timedelta(
            hours=5 if shipped_late else -5
        )
        promise.save()
    for order, on_time in ((short, True), (silent, True), (late_again, False)):
        promise = promises[order.pk]
        promise.status = "delivered"
        promise.shipped_at = promise.ordered_at - timedelta(days=40)  # not counted
        promise.delivered_at = IN_PERIOD
        promise.is_delivered_on_time = on_time
        promise.save()

    # contacts logged by staff about orders: two of three settled at once
    for order, resolved, at in (
        (calm, True, "2026-11-11 09:00"),
        (short, True, "2026-11-12 09:00"),
        (short, False, "2026-11-13 09:00"),
        (silent, False, "2026-10-20 09:00"),  # before the period
    ):
        with freeze_time(at):
            logged = get_graphql_content(
                signed_in_now(manager).post_graphql(
                    CONTACT_LOG,
                    {
                        "input": {
                            "order": graphene.Node.to_global_id("Order", order.pk),
                            "customerEmail": order.user_email,
                            "contactChannel": "PHONE",
                            "summary": "Called about the order.",
                            "isResolvedAtFirstContact": resolved,
                            "isCustomerVisible": False,
                        }
                    },
                )
            )["data"]["serviceContactLog"]
        assert logged["errors"] == []
    signed_in_now(manager)

    # notices and coupon failures of the period, and one of each before it
    Notice.objects.all().delete()
    for number, (notice_type, status, created_at) in enumerate(
        [
            ("order_delay", "sent", IN_PERIOD),
            ("order_delay", "sent", IN_PERIOD),
            ("order_delay", "failed", IN_PERIOD),
            ("survey", "skipped", IN_PERIOD),
            ("survey", "sent", datetime(2026, 10, 30, tzinfo=UTC)),
        ]
    ):
        Notice.objects.create(
            idempotency_key=f"metrics-{number}",
            notice_type=notice_type,
            channel=channel_USD,
            recipient_email="calm@example.com",
            transport="saleor_notify",
            status=status,
            created_at=created_at,
        )
    for reason, created_at in (
        ("expired", IN_PERIOD),
        ("expired", IN_PERIOD),
        ("unknown_code", IN_PERIOD),
        ("expired", datetime(2026, 12, 1, tzinfo=UTC)),
    ):
        CouponFailure.objects.create(
            code="SPRING", reason=reason, channel=channel_USD, created_at=created_at
        )

    # an abandoned checkout's answer
    Survey.objects.create(
        survey_key="abandoned:metrics",
        moment=Moment.ABANDONED,
        channel=channel_USD,
        email="gone@example.com",
        status=SurveyStatus.SENT,
        sent_at=IN_PERIOD,
        first_answered_at=IN_PERIOD,
        answered_at=IN_PERIOD,
        why_not_completed="shipping_cost",
    )

    # fulfilments: three orders of the period fulfilled, two of them returned
    _fulfilment(calm, FulfillmentStatus.FULFILLED)
    _fulfilment(delayed, FulfillmentStatus.RETURNED)
    _fulfilment(short, FulfillmentStatus.REFUNDED_AND_RETURNED)
    _fulfilment(silent, FulfillmentStatus.CANCELED)  # nothing left the store
    _fulfilment(outside, FulfillmentStatus.RETURNED)  # not of the period
    assert [
        Order.objects.get(pk=order.pk).status
        for order in (calm, delayed, short, silent, outside)
    ] == ["fulfilled", "returned", "returned", "unfulfilled", "returned"]

    # when
    metrics = _metrics(manager)

    # then
    assert metrics == {
        "channel": "main",
        "since": "2026-11-01",
        "until": "2026-12-01",
        # 6 sent in November (5 of orders, 1 abandoned), 5 answered
        "surveysSent": 6,
        "surveysAnswered": 5,
        "responseRate": 83.3,
        # satisfied: calm yes; short, returning no
        "satisfied": 33.3,
        # handled: delayed yes, short no
        "handledAsWanted": 50.0,
        "whatWentWrong": [
            {"answer": "LATE", "count": 1},
            {"answer": "MISSING_OR_OUT_OF_STOCK", "count": 1},
            {"answer": "SLOW_ANSWER", "count": 1},
        ],
        "whyNotCompleted": [{"answer": "SHIPPING_COST", "count": 1}],
        "onTimeShipping": 50.0,
        "onTimeDelivery": 66.7,
        "firstContactResolution": 66.7,
        "notices": [
            {"type": "ORDER_DELAY", "status": "FAILED", "count": 1},
            {"type": "ORDER_DELAY", "status": "SENT", "count": 2},
            {"type": "SURVEY", "status": "SKIPPED", "count": 1},
        ],
        "couponFailures": [
            {"reason": "EXPIRED", "count": 2},
            {"reason": "UNKNOWN_CODE", "count": 1},
        ],
        "returnRate": 66.7,
        # first-time: calm, delayed, short, silent, late-again (returning is not)
        "repeatPurchase": {
            "withinDays": 90,
            "all": {"customers": 5, "repeated": 2, "rate": 40.0},
            "byExperience": [
                # calm (repeated); late-again (its second order came too late)
                {
                    "experience": "NO_PROBLEM",
                    "customers": 2,
                    "repeated": 1,
                    "rate": 50.0,
                },
                {
                    "experience": "HANDLED_AS_WANTED",
                    "customers": 1,
                    "repeated": 1,
                    "rate": 100.0,
                },
                {
                    "experience": "NOT_HANDLED_AS_WANTED",
                    "customers": 1,
                    "repeated": 0,
                    "rate": 0.0,
                },
                {
                    "experience": "NO_ANSWER",
                    "customers": 1,
                    "repeated": 0,
                    "rate": 0.0,
                },
            ],
        },
    }

    # a longer window counts late-again's second order
    longer = _metrics(manager, within=120)["repeatPurchase"]
    assert longer["withinDays"] == 120
    assert longer["all"] == {"customers": 5, "repeated": 3, "rate": 60.0}
    assert longer["byExperience"][0] == {
        "experience": "NO_PROBLEM",
        "customers": 2,
        "repeated": 2,
        "rate": 100.0,
    }


def test_a_quiet_period_has_no_shares(store, manager, api_client):
    # given an order in another month only
    store("calm@example.com", "2026-10-03 10:00", api_client)

    # when
    metrics = _metrics(manager)

    # then
    assert metrics["surveysSent"] == 0
    assert metrics["surveysAnswered"] == 0
    for name in (
        "responseRate",
        "satisfied",
        "handledAsWanted",
        "onTimeShipping",
        "onTimeDelivery",
        "firstContactResolution",
        "returnRate",
    ):
        assert metrics[name] is None, name
    assert metrics["whatWentWrong"] == []
    assert metrics["whyNotCompleted"] == []
    assert metrics["notices"] == []
    assert metrics["couponFailures"] == []
    assert metrics["repeatPurchase"]["all"] == {
        "customers": 0,
        "repeated": 0,
        "rate": None,
    }
    assert [
        (group["experience"], group["customers"], group["rate"])
        for group in metrics["repeatPurchase"]["byExperience"]
    ] == [
        ("NO_PROBLEM", 0, None),
        ("HANDLED_AS_WANTED", 0, None),
        ("NOT_HANDLED_AS_WANTED", 0, None),
        ("NO_ANSWER", 0, None),
    ]


def test_the_metrics_count_their_own_channel_only(
    store, manager, api_client, channel_PLN
):
    # given: a survey and a coupon failure in the PLN channel
    order = store("calm@example.com", "2026-11-03 10:00", api_client)
    _survey(order, moment=Moment.COMPLETED, satisfied=True)
    CouponFailure.objects.create(
        code="SPRING", reason="expired", channel=channel_PLN, created_at=IN_PERIOD
    )

    # when
    main = _metrics(manager)
    other = _metrics(manager, channel=channel_PLN.slug)

    # then
    assert (main["surveysSent"], main["satisfied"], main["couponFailures"]) == (
        1,
        100.0,
        [],
    )
    assert main["repeatPurchase"]["all"]["customers"] == 1
    assert (other["surveysSent"], other["couponFailures"]) == (
        0,
        [{"reason": "EXPIRED", "count": 1}],
    )
    assert other["repeatPurchase"]["all"]["customers"] == 0


WARSAW = ZoneInfo("Europe/Warsaw")
# 9:00 in Warsaw on Tuesday 1 December: after the period, while one chat of its
# last evening is not due yet.
ANSWERED_BY = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)

ANSWER_SPEED = """
query AnswerSpeed($channel: String!, $since: Date!, $until: Date!) {
  serviceMetrics(channel: $channel, since: $since, until: $until) {
    answerSpeed {
      contactChannel opened answered resolved
      firstAnswerMedianSeconds firstAnswerP90Seconds
      handleTimeMedianSeconds handleTimeP90Seconds
      answeredWithinTarget withTarget withinTarget
      resolvedAtFirstContact firstContactResolution
    }
  }
}
"""


def _warsaw(month, day, hour, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=WARSAW)


def _conversation(
    channel,
    contact_channel,
    opened,
    *,
    answered=None,
    resolved=None,
    replies=None,
    reopened=0,
    created=None,
    is_opened_at_kept=True,
):
    """A conversation opened at ``opened``; with ``is_opened_at_kept=False`` one
    kept before its first message's time was (``opened_at`` NULL, created then)."""
    if resolved:
        status = "resolved"
    elif answered:
        status = "waiting_on_customer"
    else:
        status = "waiting_on_store"
    return Conversation.objects.create(
        channel=channel,
        contact_channel=contact_channel,
        sender=f"sender-{Conversation.objects.count()}@example.com",
        status=status,
        created_at=created or opened,
        opened_at=opened if is_opened_at_kept else None,
        waiting_since=None if answered else opened,
        first_answered_at=answered,
        resolved_at=resolved,
        store_replies=(1 if answered else 0) if replies is None else replies,
        reopened=reopened,
    )


@pytest.fixture
def answering_store(plugin_configuration, channel_USD, channel_PLN):
    """The USD channel answering in Warsaw, 9-17 on weekdays, chat within 5
    minutes and e-mail within 24 working hours (SMS has no target); a history of
    conversations there, in the PLN channel, and outside the period."""
    plugin_configuration(
        time_zone="Europe/Warsaw",
        answer_hours="9-17",
        answer_targets="chat 5 minutes, email 24 hours",
    )
    usd = channel_USD
    # Chat, Tuesday 3 November: answered in 2 and 4 minutes, resolved at the
    # first reply and after two.
    _conversation(
        usd,
        "chat",
        _warsaw(11, 3, 10),
        answered=_warsaw(11, 3, 10, 2),
        resolved=_warsaw(11, 3, 10, 10),
    )
    _conversation(
        usd,
        "chat",
        _warsaw(11, 3, 10),
        answered=_warsaw(11, 3, 10, 4),
        resolved=_warsaw(11, 3, 10, 20),
        replies=2,
    )
    # Two minutes before closing, answered three minutes after opening: within
    # the 5 minutes of working time, 16 hours 5 minutes on the clock.
    _conversation(usd, "chat", _warsaw(11, 3, 16, 58), answered=_warsaw(11, 4, 9, 3))
    # Friday 16:00, answered in 30 minutes (missed), resolved on Monday after
    # being reopened.
    _conversation(
        usd,
        "chat",
        _warsaw(11, 6, 16),
        answered=_warsaw(11, 6, 16, 30),
        resolved=_warsaw(11, 9, 10),
        reopened=1,
    )
    # Monday 30 November 16:00, never answered: past its target, missed.
    _conversation(usd, "chat", _warsaw(11, 30, 16))
    # The period's last evening, not answered: due at 9:05, not counted yet.
    _conversation(usd, "chat", _warsaw(11, 30, 23, 50))
    # Kept before the first message's time was: counted from its creation.
    _conversation(
        usd,
        "chat",
        _warsaw(11, 5, 11),
        answered=_warsaw(11, 5, 11, 3),
        resolved=_warsaw(11, 5, 11, 5),
        is_opened_at_kept=False,
    )
    # E-mail, Friday 13 November 16:00 (due Wednesday 16:00 in working time),
    # answered Wednesday 15:00: within, 119 hours on the clock.
    _conversation(usd, "email", _warsaw(11, 13, 16), answered=_warsaw(11, 18, 15))
    # SMS in the first half hour of November in Warsaw (still October in UTC).
    _conversation(
        usd,
        "sms",
        datetime(2026, 10, 31, 23, 30, tzinfo=UTC),
        answered=_warsaw(11, 1, 1),
        resolved=_warsaw(11, 1, 1, 30),
    )
    # Not of the period: December in Warsaw (still November in UTC); created in
    # November but opened in October; another channel's.
    _conversation(
        usd,
        "chat",
        datetime(2026, 11, 30, 23, 30, tzinfo=UTC),
        answered=datetime(2026, 11, 30, 23, 31, tzinfo=UTC),
    )
    _conversation(
        usd,
        "chat",
        _warsaw(10, 30, 10),
        answered=_warsaw(10, 30, 10, 1),
        created=_warsaw(11, 2, 10),
    )
    _conversation(
        channel_PLN, "chat", _warsaw(11, 3, 10), answered=_warsaw(11, 3, 10, 1)
    )
    return usd


def test_the_speed_of_answer_of_a_constructed_history(answering_store, manager):
    # when the metrics of November are read at 9:00 on 1 December in Warsaw
    with freeze_time(ANSWERED_BY):
        content = get_graphql_content(
            signed_in_now(manager).post_graphql(
                ANSWER_SPEED, _variables(channel=answering_store.slug)
            )
        )
    signed_in_now(manager)

    # then, per contact channel in the enum's order
    assert content["data"]["serviceMetrics"]["answerSpeed"] == [
        {
            "contactChannel": "EMAIL",
            "opened": 1,
            "answered": 1,
            "resolved": 0,
            "firstAnswerMedianSeconds": 428400.0,
            "firstAnswerP90Seconds": 428400.0,
            "handleTimeMedianSeconds": None,
            "handleTimeP90Seconds": None,
            "answeredWithinTarget": 1,
            "withTarget": 1,
            "withinTarget": 100.0,
            "resolvedAtFirstContact": 0,
            "firstContactResolution": None,
        },
        # no target for SMS: nothing measured against one
        {
            "contactChannel": "SMS",
            "opened": 1,
            "answered": 1,
            "resolved": 1,
            "firstAnswerMedianSeconds": 1800.0,
            "firstAnswerP90Seconds": 1800.0,
            "handleTimeMedianSeconds": 3600.0,
            "handleTimeP90Seconds": 3600.0,
            "answeredWithinTarget": 0,
            "withTarget": 0,
            "withinTarget": None,
            "resolvedAtFirstContact": 1,
            "firstContactResolution": 100.0,
        },
        {
            "contactChannel": "CHAT",
            "opened": 7,
            "answered": 5,
            "resolved": 4,
            # first answers of 120, 180, 240, 1,800 and 57,900 s; the 90th
            # percentile at rank 3.6: 1,800 + 0.6 × 56,100
            "firstAnswerMedianSeconds": 240.0,
            "firstAnswerP90Seconds": 35460.0,
            # handled in 300, 600, 1,200 and 237,600 s; rank 2.7 for the 90th
            "handleTimeMedianSeconds": 900.0,
            "handleTimeP90Seconds": 166680.0,
            # within: 2, 4, 3 (in working time) and 3 minutes; missed: the
            # 30 minutes and the one never answered
            "answeredWithinTarget": 4,
            "withTarget": 6,
            "withinTarget": 66.7,
            "resolvedAtFirstContact": 2,
            "firstContactResolution": 50.0,
        },
    ]


def test_another_channel_measures_its_own_conversations_only(
    answering_store, manager, channel_PLN
):
    with freeze_time(ANSWERED_BY):
        content = get_graphql_content(
            signed_in_now(manager).post_graphql(
                ANSWER_SPEED, _variables(channel=channel_PLN.slug)
            )
        )
    signed_in_now(manager)

    # the PLN channel has no settings saved: the default chat target (5 minutes)
    assert content["data"]["serviceMetrics"]["answerSpeed"] == [
        {
            "contactChannel": "CHAT",
            "opened": 1,
            "answered": 1,
            "resolved": 0,
            "firstAnswerMedianSeconds": 60.0,
            "firstAnswerP90Seconds": 60.0,
            "handleTimeMedianSeconds": None,
            "handleTimeP90Seconds": None,
            "answeredWithinTarget": 1,
            "withTarget": 1,
            "withinTarget": 100.0,
            "resolvedAtFirstContact": 0,
            "firstContactResolution": None,
        }
    ]


def test_a_period_without_conversations_has_no_speed_of_answer(
    answering_store, manager
):
    content = get_graphql_content(
        manager.post_graphql(
            ANSWER_SPEED,
            _variables(since=date(2026, 9, 1), until=date(2026, 10, 1)),
        )
    )

    assert content["data"]["serviceMetrics"]["answerSpeed"] == []


def test_weekly_metrics_measure_the_speed_of_answer_in_the_channels_hours(
    answering_store,
):
    # when the first two weeks of November are measured by week (the answering
    # hours and targets read from the channel's settings)
    weeks = weekly(
        answering_store.pk,
        date(2026, 11, 1),
        date(2026, 11, 15),
        time_zone="Europe/Warsaw",
        now=ANSWERED_BY,
    )

    # then
    assert [
        (
            start,
            [
                (
                    speed.contact_channel,
                    speed.opened,
                    speed.answered_within_target,
                    speed.with_target,
                )
                for speed in metrics.answer_speed
            ],
        )
        for start, metrics in weeks
    ] == [
        (
            date(2026, 11, 1),
            [(ContactChannel.SMS, 1, 0, 0), (ContactChannel.CHAT, 5, 4, 5)],
        ),
        (date(2026, 11, 8), [(ContactChannel.EMAIL, 1, 1, 1)]),
    ]
    assert isinstance(weeks[1][1].answer_speed[0], AnswerSpeed)


@pytest.mark.parametrize(
    ("client_name", "permission_name"),
    [
        ("api_client", None),
        ("user_api_client", None),
        ("staff_api_client", None),
        ("staff_api_client", "permission_manage_users"),
        ("app_api_client", None),
        ("app_api_client", "permission_manage_users"),
    ],
)
def test_the_metrics_need_manage_orders(
    caller, channel_USD, client_name, permission_name
):
    client = caller(client_name, permission_name)

    response = _query(client)

    assert_no_permission(response)
    assert response.json()["errors"][0]["message"] == (
        "To access this path, you need one of the following permissions: MANAGE_ORDERS"
    )


def test_staff_and_apps_with_manage_orders_read_the_metrics(
    staff_in_group, caller, permission_manage_orders, channel_USD
):
    staff = staff_in_group(permission_manage_orders)
    assert _metrics(staff)["channel"] == "main"

    app = caller("app_api_client", "permission_manage_orders")
    assert _metrics(app)["surveysSent"] == 0


def test_staff_restricted_to_another_channel_are_refused(
    staff_in_group, permission_manage_orders, channel_USD, channel_PLN
):
    # given staff whose only group is restricted to the PLN channel
    client = staff_in_group(permission_manage_orders, channels=[channel_PLN])

    # when
    response = _query(client)

    # then
    assert_no_permission(response)
    assert response.json()["data"] is None
    assert _metrics(client, channel=channel_PLN.slug)["channel"] == channel_PLN.slug


def test_staff_restricted_to_the_channel_read_it(
    staff_in_group, permission_manage_orders, channel_USD
):
    client = staff_in_group(permission_manage_orders, channels=[channel_USD])

    assert _metrics(client)["channel"] == "main"


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"since": date(2026, 11, 1), "until": date(2026, 11, 1)},
            "until: Must be later than since (the day after it at least).",
        ),
        (
            {"since": date(2026, 11, 2), "until": date(2026, 11, 1)},
            "until: Must be later than since (the day after it at least).",
        ),
        (
            {"since": date(2025, 1, 1), "until": date(2026, 1, 3)},
            "until: The period is 367 days; at most 366 are measured at once.",
        ),
        (
            {"within": 0},
            "repeatWithinDays: 0 days; allowed are 1 to 365.",
        ),
        (
            {"within": 366},
            "repeatWithinDays: 366 days; allowed are 1 to 365.",
        ),
        (
            {"channel": "nowhere"},
            "channel: There is no channel with the slug 'nowhere'.",
        ),
    ],
)
def test_bad_arguments_are_named_in_the_error(
    staff_in_group, permission_manage_orders, channel_USD, variables, message
):
    client = staff_in_group(permission_manage_orders)

    content = get_graphql_content_from_response(_query(client, **variables))

    assert content["data"] is None
    assert [error["message"] for error in content["errors"]] == [message]


def _queries_of(client) -> tuple[int, int]:
    """(statements in all, statements on the plugin's tables) of one request. The
    first request of a test also reads Saleor's site settings; the count is of a
    second one."""
    _metrics(client)
    with CaptureQueriesContext(connection) as queries:
        _metrics(client)
    own = [q for q in queries.captured_queries if "saleor_cs_plugin_" in q["sql"]]
    return len(queries), len(own)


def test_the_metrics_take_the_same_queries_for_few_and_many_rows(
    store, manager, api_client, channel_USD
):
    # given one customer with an answered survey
    first = store("one@example.com", "2026-11-03 10:00", api_client)
    _survey(first, moment=Moment.COMPLETED, satisfied=False, what_went_wrong=["late"])
    few = _queries_of(manager)

    # when many more customers, surveys, contacts, failures and fulfilments exist
    for number in range(6):
        order = store(f"many-{number}@example.com", "2026-11-04 10:00", api_client)
        _survey(order, moment=Moment.COMPLETED, satisfied=number % 2 == 0)
        _told_of_a_delay(order)
        _fulfilment(order, FulfillmentStatus.RETURNED)
        CouponFailure.objects.create(
            code=f"CODE{number}",
            reason="expired",
            channel=channel_USD,
            created_at=IN_PERIOD,
        )
        _conversation(
            channel_USD, "chat", IN_PERIOD, answered=IN_PERIOD + timedelta(minutes=1)
        )
    many = _queries_of(manager)

    # then the same statements: Saleor's own reads (the staff user, site,
    # permissions, channels and groups: 11 on Saleor 3.22, 13 from 3.23), the
    # channel, its settings, the metrics in one statement after one setting, and
    # the conversations of the period
    assert _metrics(manager)["repeatPurchase"]["all"]["customers"] == 7
    assert many == few
    assert few[1] == 2


def test_weekly_metrics_count_each_week_of_the_period(store, api_client, channel_USD):
    # given surveys sent in the first and the third week, and one in the next day
    order = store("calm@example.com", "2026-11-03 10:00", api_client)
    _survey(
        order,
        moment=Moment.COMPLETED,
        satisfied=True,
        sent_at=datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
    )
    other = store("other@example.com", "2026-11-04 10:00", api_client)
    _survey(
        other,
        moment=Moment.COMPLETED,
        satisfied=False,
        sent_at=datetime(2026, 11, 15, 23, 59, tzinfo=UTC),
    )
    late = store("late@example.com", "2026-11-05 10:00", api_client)
    _survey(
        late,
        moment=Moment.COMPLETED,
        satisfied=False,
        sent_at=datetime(2026, 11, 20, tzinfo=UTC),
    )

    # when
    weeks = weekly(channel_USD.pk, date(2026, 11, 2), date(2026, 11, 20))

    # then
    assert [
        (start, metrics.surveys_sent, metrics.satisfied_percent)
        for start, metrics in weeks
    ] == [
        (date(2026, 11, 2), 1, Decimal("100.0")),
        (date(2026, 11, 9), 1, Decimal("0.0")),
        (date(2026, 11, 16), 0, None),
    ]
    assert weeks[0][1].repeat_purchase.total.customers == 3
