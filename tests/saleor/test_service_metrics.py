"""``serviceMetrics`` through /graphql/: every measure of a small store counted
exactly, the repeat purchases of first-time customers split by their experience,
who may read which channel's metrics, errors naming the argument, and the same
number of queries for a few rows as for many."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

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

from saleor_cs_plugin.domain.surveys import Moment, ProblemKind, SurveyStatus
from saleor_cs_plugin.metrics.measure import weekly
from saleor_cs_plugin.models import (
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
    many = _queries_of(manager)

    # then the same statements: Saleor's own reads (the staff user, site,
    # permissions, channels and groups: 11 on Saleor 3.22, 13 from 3.23), the
    # channel, its time zone, and the metrics in one statement after one setting
    assert _metrics(manager)["repeatPurchase"]["all"]["customers"] == 7
    assert many == few
    assert few[1] == 1


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
