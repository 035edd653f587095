"""Delivery promises in a real Saleor: recorded at checkout, shown on the order, told
to the customer when at risk or late, closed by fulfilment or cancellation."""

from datetime import UTC, date, datetime, timedelta

import graphene
import pytest
from django.core.management import call_command
from django.db import DatabaseError
from freezegun import freeze_time
from saleor.celeryconf import app as celery_app
from saleor.discount.models import Voucher, VoucherCode
from saleor.graphql.tests.utils import get_graphql_content
from saleor.order import OrderEvents, OrderStatus
from saleor.order.models import Order, OrderEvent

from storefront import place_order, signed_in_now
from saleor_cs_plugin import fetch, language, promises
from saleor_cs_plugin.apps import SWEEP_PROMISES_BEAT_ENTRY
from saleor_cs_plugin.domain.items import item_name
from saleor_cs_plugin.domain.notices import NoticeType, idempotency_key
from saleor_cs_plugin.models import (
    ApologyVoucher,
    DeliveryPromise,
    DeliveryPromiseLine,
    Notice,
)

# Monday 2 March 2026, 09:00 UTC: before the default 14:00 cut-off.
MONDAY_MORNING = datetime(2026, 3, 2, 9, tzinfo=UTC)

ORDER_PROMISE_QUERY = """
query ($id: ID!) {
  order(id: $id) {
    deliveryPromise {
      status shippingMethodName shipBy deliverFrom deliverBy
      estimatedShipBy estimatedDeliverBy notifiedStage customerToldStage shippedAt
      closedAt
      lines { productName variantName name quantity shippedAt isShippedOnTime }
    }
  }
}
"""

MY_ORDERS_QUERY = """
{
  me { orders(first: 20) { edges { node { number deliveryPromise { status shipBy } } } } }
}
"""


@pytest.fixture
def store(channel_USD, shipping_method, product, plugin_configuration):
    """A channel that takes unpaid orders, a method delivering in 2 to 4 days, the
    plugin active with promise settings, and a product in stock."""
    channel_USD.allow_unpaid_orders = True
    channel_USD.automatically_confirm_all_new_orders = True
    channel_USD.save()
    shipping_method.minimum_delivery_days = 2
    shipping_method.maximum_delivery_days = 4
    shipping_method.save()

    def configure(**values):
        return plugin_configuration(
            promise_handling_days="1",
            promise_cutoff_hour="14",
            promise_holidays="2026-03-04",
            **values,
        )

    return configure


def _place(api_client, product, shipping_method, channel, quantity=2, **kwargs):
    return place_order(
        api_client,
        channel=channel,
        lines=[(product.variants.get(), quantity)],
        shipping_method=shipping_method,
        **kwargs,
    )


def test_checkout_complete_records_the_promise(
    store, user_api_client, product, shipping_method, channel_USD
):
    # given
    store()

    # when
    with freeze_time(MONDAY_MORNING):
        placed = _place(user_api_client, product, shipping_method, channel_USD)

    # then: processed Monday, shipped Tuesday; 2 and 4 working days later, skipping
    # the Wednesday holiday.
    promise = DeliveryPromise.objects.get()
    order = Order.objects.get()
    assert str(order.number) == placed["number"]
    assert promise.order_id == order.pk
    assert (promise.ship_by, promise.deliver_from, promise.deliver_by) == (
        date(2026, 3, 3),
        date(2026, 3, 6),
        date(2026, 3, 10),
    )
    assert promise.ship_by_deadline == datetime(2026, 3, 4, tzinfo=UTC)
    assert (promise.minimum_delivery_days, promise.maximum_delivery_days) == (2, 4)
    assert promise.shipping_method_name == "DHL"
    assert promise.status == "on_track"
    # The sweep looks again when the order becomes at risk: 24 hours before the
    # deadline, but not in the first half of the 39 hours the store had.
    assert promise.review_at == datetime(2026, 3, 3, 4, 30, tzinfo=UTC)
    line = DeliveryPromiseLine.objects.get()
    assert (line.product_name, line.quantity, line.shipped_at) == (
        product.name,
        2,
        None,
    )


def test_later_edits_to_the_method_do_not_move_the_promise(
    store, user_api_client, product, shipping_method, channel_USD
):
    store()
    with freeze_time(MONDAY_MORNING):
        _place(user_api_client, product, shipping_method, channel_USD)
    shipping_method.maximum_delivery_days = 20
    shipping_method.save()

    promises.record_promise_of(Order.objects.get().pk)

    assert DeliveryPromise.objects.get().deliver_by == date(2026, 3, 10)
    assert DeliveryPromiseLine.objects.count() == 1


def test_a_method_without_delivery_days_uses_the_default_or_records_nothing(
    store, user_api_client, product, shipping_method, channel_USD
):
    shipping_method.minimum_delivery_days = None
    shipping_method.maximum_delivery_days = None
    shipping_method.save()
    configuration = store()
    with freeze_time(MONDAY_MORNING):
        _place(user_api_client, product, shipping_method, channel_USD)
    assert DeliveryPromise.objects.count() == 0

    configuration.configuration = [
        {**item, "value": "1-3"}
        if item["name"] == "promise_default_delivery_days"
        else item
        for item in configuration.configuration
    ]
    configuration.save()
    with freeze_time(MONDAY_MORNING):
        _place(user_api_client, product, shipping_method, channel_USD)

    promise = DeliveryPromise.objects.get()
    assert (promise.minimum_delivery_days, promise.maximum_delivery_days) == (1, 3)
    assert promise.deliver_by == date(2026, 3, 9)


def test_an_order_with_nothing_to_ship_has_no_promise(
    store, user_api_client, product_without_shipping, channel_USD
):
    store()
    with freeze_time(MONDAY_MORNING):
        placed = place_order(
            user_api_client,
            channel=channel_USD,
            lines=[(product_without_shipping.variants.get(), 1)],
        )

    assert Order.objects.get().number == int(placed["number"])
    assert DeliveryPromise.objects.count() == 0
    content = get_graphql_content(
        signed_in_now(user_api_client).post_graphql(
            ORDER_PROMISE_QUERY, {"id": placed["id"]}
        )
    )
    assert content["data"]["order"]["deliveryPromise"] is None


def test_no_promise_while_the_plugin_is_inactive(
    store, user_api_client, product, shipping_method, channel_USD
):
    store(active=False)
    with freeze_time(MONDAY_MORNING):
        _place(user_api_client, product, shipping_method, channel_USD)
    assert Order.objects.count() == 1
    assert DeliveryPromise.objects.count() == 0


def test_a_fault_while_recording_does_not_fail_the_checkout_and_the_sweep_backfills(
    store, user_api_client, product, shipping_method, channel_USD, monkeypatch
):
    # given: the database refuses the promise once
    store()

    def refuse(*args, **kwargs):
        raise DatabaseError("the plugin's table is locked")

    monkeypatch.setattr(promises, "record_promise", refuse)

    # when
    placed = _place(user_api_client, product, shipping_method, channel_USD)

    # then: the shopper has the order, and the next sweep records its promise
    assert placed["number"] == str(Order.objects.get().number)
    assert DeliveryPromise.objects.count() == 0
    monkeypatch.undo()
    assert promises.backfill_promises(datetime.now(UTC)) == 1
    assert DeliveryPromise.objects.get().order.number == int(placed["number"])


@pytest.mark.parametrize(
    ("client_name", "permission_name", "is_allowed"),
    [
        ("api_client", None, False),
        ("user_api_client", None, True),
        ("staff_api_client", None, False),
        ("staff_api_client", "permission_manage_orders", True),
        ("app_api_client", "permission_manage_orders", True),
    ],
)
def test_order_delivery_promise_permissions(
    store,
    user_api_client,
    product,
    shipping_method,
    channel_USD,
    caller,
    client_name,
    permission_name,
    is_allowed,
):
    store()
    with freeze_time(MONDAY_MORNING):
        placed = _place(user_api_client, product, shipping_method, channel_USD)
    client = signed_in_now(caller(client_name, permission_name))

    response = client.post_graphql(ORDER_PROMISE_QUERY, {"id": placed["id"]})

    content = response.json()
    if not is_allowed:
        assert content["errors"][0]["extensions"]["exception"]["code"] == (
            "PermissionDenied"
        )
        order = (content.get("data") or {}).get("order")
        assert order is None or order["deliveryPromise"] is None
        return
    assert "errors" not in content
    assert content["data"]["order"]["deliveryPromise"] == {
        "status": "ON_TRACK",
        "shippingMethodName": "DHL",
        "shipBy": "2026-03-03",
        "deliverFrom": "2026-03-06",
        "deliverBy": "2026-03-10",
        "estimatedShipBy": None,
        "estimatedDeliverBy": None,
        "notifiedStage": None,
        "customerToldStage": None,
        "shippedAt": None,
        "closedAt": None,
        "lines": [
            {
                "productName": product.name,
                "variantName": Order.objects.get().lines.get().variant_name,
                "name": _line_name(Order.objects.get()),
                "quantity": 2,
                "shippedAt": None,
                "isShippedOnTime": None,
            }
        ],
    }


def test_other_customers_do_not_see_the_promise(
    store,
    user_api_client,
    other_customer_api_client,
    product,
    shipping_method,
    channel_USD,
):
    store()
    with freeze_time(MONDAY_MORNING):
        _place(user_api_client, product, shipping_method, channel_USD)
    # The other customer's own orders list does not hold it; their own order's
    # promise is theirs.
    with freeze_time(MONDAY_MORNING):
        _place(other_customer_api_client, product, shipping_method, channel_USD)

    mine = get_graphql_content(
        signed_in_now(user_api_client).post_graphql(MY_ORDERS_QUERY)
    )
    theirs = get_graphql_content(
        signed_in_now(other_customer_api_client).post_graphql(MY_ORDERS_QUERY)
    )

    [my_order] = mine["data"]["me"]["orders"]["edges"]
    [their_order] = theirs["data"]["me"]["orders"]["edges"]
    assert my_order["node"]["number"] != their_order["node"]["number"]
    assert my_order["node"]["deliveryPromise"] == {
        "status": "ON_TRACK",
        "shipBy": "2026-03-03",
    }
    assert their_order["node"]["deliveryPromise"] == {
        "status": "ON_TRACK",
        "shipBy": "2026-03-03",
    }


def test_promises_of_many_orders_take_a_constant_number_of_queries(
    store, user_api_client, product, shipping_method, channel_USD
):
    store()
    with freeze_time(MONDAY_MORNING):
        _place(user_api_client, product, shipping_method, channel_USD)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    signed_in_now(user_api_client)
    with CaptureQueriesContext(connection) as one:
        get_graphql_content(user_api_client.post_graphql(MY_ORDERS_QUERY))
    with freeze_time(MONDAY_MORNING):
        for _ in range(4):
            _place(user_api_client, product, shipping_method, channel_USD, quantity=1)

    signed_in_now(user_api_client)
    with CaptureQueriesContext(connection) as five:
        content = get_graphql_content(user_api_client.post_graphql(MY_ORDERS_QUERY))

    assert len(content["data"]["me"]["orders"]["edges"]) == 5
    assert len(five.captured_queries) == len(one.captured_queries)


# The sweep ---------------------------------------------------------------------------


def _line_name(order):
    line = order.lines.get()
    return item_name(line.product_name, line.variant_name, line.product_sku)


def _order_notes(order):
    return list(
        OrderEvent.objects.filter(order=order, type=OrderEvents.NOTE_ADDED)
        .order_by("date")
        .values_list("parameters__message", flat=True)
    )


def test_the_sweep_tells_at_risk_then_late_once_each(
    store, user_api_client, product, shipping_method, channel_USD
):
    # given
    store(
        notice_transports="*=webhook",
        webhook_url="https://hooks.example.com/cs",
        webhook_secret="a-test-secret-of-32-characters!!",
    )
    with freeze_time(MONDAY_MORNING):
        _place(user_api_client, product, shipping_method, channel_USD)
    order = Order.objects.get()

    # when: Tuesday 05:00, then again at 06:00, then Wednesday 01:00 (late)
    at_risk_ids, at_risk = promises.sweep(datetime(2026, 3, 3, 5, tzinfo=UTC))
    again_ids, again = promises.sweep(datetime(2026, 3, 3, 6, tzinfo=UTC))
    late_ids, late = promises.sweep(datetime(2026, 3, 4, 1, tzinfo=UTC))

    # then
    assert [p.stage for p in at_risk] == ["at_risk"]
    assert (again_ids, again) == ([], [])
    assert [p.stage for p in late] == ["late"]
    at_risk_notice = Notice.objects.get(pk=at_risk_ids[0])
    late_notice = Notice.objects.get(pk=late_ids[0])
    assert at_risk_notice.notice_type == NoticeType.ORDER_DELAY
    assert at_risk_notice.idempotency_key == idempotency_key(
        NoticeType.ORDER_DELAY, order.pk, "at_risk"
    )
    assert at_risk_notice.recipient_email == "shopper@example.com"
    assert at_risk_notice.transport == "webhook"
    assert at_risk_notice.context["subject"] == (
        f"Order #{order.number} may ship later than we promised"
    )
    assert late_notice.context["subject"] == f"Order #{order.number} is late"
    # Late on Wednesday (a holiday) at 01:00: processed Thursday, ships two working
    # days later (Monday), arrives 4 working days after that.
    assert late_notice.context["data"]["estimatedShipBy"] == "2026-03-09"
    assert late_notice.context["data"]["estimatedDeliverBy"] == "2026-03-13"
    line = order.lines.get()
    assert late_notice.context["data"]["waitingLines"] == [
        {
            "productName": product.name,
            "variantName": line.variant_name,
            "sku": line.product_sku,
            "name": item_name(product.name, line.variant_name, line.product_sku),
            "quantity": 2,
        }
    ]
    promise = DeliveryPromise.objects.get()
    assert (promise.status, promise.notified_stage) == ("late", "late")
    assert (promise.estimated_ship_by, promise.estimated_deliver_by) == (
        date(2026, 3, 9),
        date(2026, 3, 13),
    )
    # Follow-up 3 days after the deadline.
    assert promise.review_at == datetime(2026, 3, 7, tzinfo=UTC)
    # Staff read what was decided, and that it waits to be sent: not that the
    # customer knows.
    waiting = f"{item_name(product.name, line.variant_name, line.product_sku)}"
    assert _order_notes(order) == [
        "Delivery promise at risk: notice to the customer queued (webhook). Promised "
        "ship-by 2026-03-03; new estimate: ships by 2026-03-05, arrives by "
        f"2026-03-11. Waiting: 2 × {waiting}.",
        "Delivery promise late: notice to the customer queued (webhook). Promised "
        "ship-by 2026-03-03; new estimate: ships by 2026-03-09, arrives by "
        f"2026-03-13. Waiting: 2 × {waiting}.",
    ]
    assert Notice.objects.count() == 2


def test_a_promise_not_yet_due_is_left_alone(
    store, user_api_client, product, shipping_method, channel_USD
):
    store()
    with freeze_time(MONDAY_MORNING):
        _place(user_api_client, product, shipping_method, channel_USD)
    # Not yet due on Monday evening: nothing happens, nothing changes.
    ids, planned = promises.sweep(datetime(2026, 3, 2, 20, tzinfo=UTC))
    assert (ids, planned) == ([], [])
    assert DeliveryPromise.objects.get().status == "on_track"


def test_dry_run_decides_and_writes_nothing(
    store, user_api_client, product, shipping_method, channel_USD
):
    store()
    with freeze_time(MONDAY_MORNING):
        _place(user_api_client, product, shipping_method, channel_USD)
    order = Order.objects.get()

    with freeze_time(datetime(2026, 3, 4, 1, tzinfo=UTC)):
        from io import StringIO

        out = StringIO()
        call_command("cs_promises", "--dry-run", stdout=out)

    assert out.getvalue().splitlines() == [
        "Would queue 1 notice(s):",
        f"  order #{order.number}  late  shopper@example.com  "
        f"Order #{order.number} is late",
    ]
    assert Notice.objects.count() == 0
    assert _order_notes(order) == []
    promise = DeliveryPromise.objects.get()
    assert (promise.status, promise.notified_stage) == ("on_track", "")


def test_the_command_sweeps_once(
    store, user_api_client, product, shipping_method, channel_USD
):
    store()
    with freeze_time(MONDAY_MORNING):
        _place(user_api_client, product, shipping_method, channel_USD)
    order = Order.objects.get()
    from io import StringIO

    out = StringIO()
    with freeze_time(datetime(2026, 3, 4, 1, tzinfo=UTC)):
        call_command("cs_promises", stdout=out)

    assert out.getvalue().splitlines() == [
        "Queued 1 notice(s):",
        f"  order #{order.number}  late  shopper@example.com  "
        f"Order #{order.number} is late",
    ]
    assert Notice.objects.get().notice_type == NoticeType.ORDER_DELAY


def test_follow_up_issues_an_apology_voucher_within_the_daily_limit(
    store, user_api_client, product, shipping_method, channel_USD
):
    # given: two late orders, one voucher a day
    store(apology_voucher="15%", apology_vouchers_per_day="1")
    with freeze_time(MONDAY_MORNING):
        _place(user_api_client, product, shipping_method, channel_USD)
        _place(
            user_api_client,
            product,
            shipping_method,
            channel_USD,
            email="b@example.com",
        )
    promises.sweep(datetime(2026, 3, 4, 1, tzinfo=UTC))

    # when: past the follow-up day
    ids, planned = promises.sweep(datetime(2026, 3, 7, 9, tzinfo=UTC))

    # then
    assert sorted(p.stage for p in planned) == ["follow_up", "follow_up"]
    apology = ApologyVoucher.objects.get()
    voucher = Voucher.objects.get()
    code = VoucherCode.objects.get(voucher=voucher)
    assert apology.code == code.code
    assert code.code.startswith("SORRY-")
    assert (
        voucher.usage_limit,
        voucher.single_use,
        voucher.apply_once_per_customer,
    ) == (
        1,
        True,
        True,
    )
    assert voucher.discount_value_type == "percentage"
    listing = voucher.channel_listings.get()
    assert (listing.channel_id, listing.discount_value) == (channel_USD.pk, 15)
    assert voucher.end_date == datetime(2026, 3, 7, 9, tzinfo=UTC) + timedelta(days=30)
    follow_ups = Notice.objects.filter(notice_type=NoticeType.ORDER_DELAY_FOLLOW_UP)
    with_code = [n for n in follow_ups if code.code in n.context["message"]]
    assert len(follow_ups) == 2
    assert len(with_code) == 1
    assert with_code[0].recipient_email == apology.recipient_email
    assert (
        with_code[0]
        .context["message"]
        .endswith(f"As an apology, the code {code.code} takes 15% off your next order.")
    )


def test_a_fixed_apology_is_told_in_the_currency_s_own_minor_unit(
    store, user_api_client, product, shipping_method, channel_USD
):
    # given: a late order in a channel that now sells in yen (no minor unit)
    store(apology_voucher="500", apology_vouchers_per_day="5")
    with freeze_time(MONDAY_MORNING):
        _place(user_api_client, product, shipping_method, channel_USD)
    promises.sweep(datetime(2026, 3, 4, 1, tzinfo=UTC))
    channel_USD.currency_code = "JPY"
    channel_USD.save(update_fields=["currency_code"])

    # when: past the follow-up day
    promises.sweep(datetime(2026, 3, 7, 9, tzinfo=UTC))

    # then
    code = ApologyVoucher.objects.get().code
    follow_up = Notice.objects.get(notice_type=NoticeType.ORDER_DELAY_FOLLOW_UP)
    assert follow_up.context["message"].endswith(
        f"As an apology, the code {code} takes ¥500 off your next order."
    )


# Closing -----------------------------------------------------------------------------

ORDER_FULFILL = """
mutation ($order: ID!, $input: OrderFulfillInput!) {
  orderFulfill(order: $order, input: $input) {
    errors { field code message }
  }
}
"""

ORDER_CANCEL = """
mutation ($id: ID!) { orderCancel(id: $id) { errors { field code message } } }
"""


def _fulfill(staff_client, order, quantity, warehouse, tracking=""):
    line = order.lines.get()
    content = get_graphql_content(
        signed_in_now(staff_client).post_graphql(
            ORDER_FULFILL,
            {
                "order": graphene.Node.to_global_id("Order", order.pk),
                "input": {
                    "lines": [
                        {
                            "orderLineId": graphene.Node.to_global_id(
                                "OrderLine", line.pk
                            ),
                            "stocks": [
                                {
                                    "quantity": quantity,
                                    "warehouse": graphene.Node.to_global_id(
                                        "Warehouse", warehouse.pk
                                    ),
                                }
                            ],
                        }
                    ],
                    "notifyCustomer": False,
                    **({"trackingNumber": tracking} if tracking else {}),
                },
            },
        )
    )
    assert content["data"]["orderFulfill"]["errors"] == []


def test_shipping_on_time_closes_the_promise_silently(
    store,
    user_api_client,
    staff_in_group,
    permission_manage_orders,
    product,
    shipping_method,
    channel_USD,
    warehouse,
):
    store()
    with freeze_time(MONDAY_MORNING):
        _place(user_api_client, product, shipping_method, channel_USD)
    order = Order.objects.get()
    staff = staff_in_group(permission_manage_orders)

    with freeze_time(datetime(2026, 3, 3, 10, tzinfo=UTC)):
        _fulfill(staff, order, 2, warehouse)

    promise = DeliveryPromise.objects.get()
    assert promise.status == "shipped_on_time"
    assert promise.closed_at == datetime(2026, 3, 3, 10, tzinfo=UTC)
    assert promise.review_at is None
    line = DeliveryPromiseLine.objects.get()
    assert (line.shipped_at, line.is_shipped_on_time) == (
        datetime(2026, 3, 3, 10, tzinfo=UTC),
        True,
    )
    assert Notice.objects.count() == 0
    assert _order_notes(order) == []


def test_a_late_order_that_ships_gets_on_the_way_with_tracking_per_line(
    store,
    user_api_client,
    staff_in_group,
    permission_manage_orders,
    product,
    shipping_method,
    channel_USD,
    warehouse,
):
    # given: late and told so
    store()
    with freeze_time(MONDAY_MORNING):
        _place(user_api_client, product, shipping_method, channel_USD)
    order = Order.objects.get()
    promises.sweep(datetime(2026, 3, 4, 1, tzinfo=UTC))
    staff = staff_in_group(permission_manage_orders)

    # when: one of two items ships on Thursday, the other on Friday
    with freeze_time(datetime(2026, 3, 5, 10, tzinfo=UTC)):
        _fulfill(staff, order, 1, warehouse, tracking="TRK-1")
    partly = DeliveryPromise.objects.get()
    with freeze_time(datetime(2026, 3, 6, 10, tzinfo=UTC)):
        _fulfill(staff, order, 1, warehouse, tracking="TRK-2")

    # then
    assert partly.status == "late"
    assert partly.closed_at is None
    promise = DeliveryPromise.objects.get()
    assert promise.status == "shipped_late"
    assert promise.shipped_at == datetime(2026, 3, 6, 10, tzinfo=UTC)
    assert DeliveryPromiseLine.objects.get().is_shipped_on_time is False
    on_the_way = list(
        Notice.objects.filter(notice_type=NoticeType.ORDER_ON_THE_WAY).order_by(
            "created_at"
        )
    )
    assert [n.context["data"]["trackingNumber"] for n in on_the_way] == [
        "TRK-1",
        "TRK-2",
    ]
    assert [n.context["data"]["isPartial"] for n in on_the_way] == [True, False]
    assert (
        on_the_way[0]
        .context["message"]
        .startswith(
            f"Good news: part of your delayed order #{order.number} has shipped. Its "
            "tracking number is TRK-1."
        )
    )
    # Saleor's notifications, with no app listening, deliver nothing: the notes
    # say the customer was not told.
    not_told = (
        "notice NOT sent: Saleor notify: no app receives Saleor's notifications "
        "(NOTIFY_USER); the customer was not told."
    )
    assert _order_notes(order)[1:] == [
        "Delayed order shipped in part: notice to the customer queued (Saleor's "
        f"notifications). Tracking TRK-1. Still waiting: 1 × {_line_name(order)}.",
        f"Delayed order shipped in part: {not_told}",
        "Delayed order shipped: notice to the customer queued (Saleor's "
        "notifications). Tracking TRK-2.",
        f"Delayed order shipped: {not_told}",
    ]


def test_the_sweep_closes_a_promise_whose_fulfilment_hook_failed(
    store,
    user_api_client,
    staff_in_group,
    permission_manage_orders,
    product,
    shipping_method,
    channel_USD,
    warehouse,
    monkeypatch,
):
    # given: the plugin fails while Saleor fulfils the order on Tuesday
    store()
    with freeze_time(MONDAY_MORNING):
        _place(user_api_client, product, shipping_method, channel_USD)
    order = Order.objects.get()

    def refuse(*args, **kwargs):
        raise DatabaseError("the plugin's table is locked")

    monkeypatch.setattr(promises, "close_shipped_lines", refuse)
    with freeze_time(datetime(2026, 3, 3, 10, tzinfo=UTC)):
        _fulfill(staff_in_group(permission_manage_orders), order, 2, warehouse)
    order.refresh_from_db()
    assert order.status == OrderStatus.FULFILLED
    assert DeliveryPromise.objects.get().status == "on_track"

    # when: the sweep comes by after the deadline
    ids, planned = promises.sweep(datetime(2026, 3, 4, 1, tzinfo=UTC))

    # then: closed as shipped on time, when the fulfilment was made; nobody is told
    assert (ids, planned) == ([], [])
    promise = DeliveryPromise.objects.get()
    assert promise.status == "shipped_on_time"
    assert promise.shipped_at == datetime(2026, 3, 3, 10, tzinfo=UTC)
    assert DeliveryPromiseLine.objects.get().is_shipped_on_time is True
    assert Notice.objects.count() == 0


def test_a_cancelled_order_closes_silently(
    store,
    user_api_client,
    staff_in_group,
    permission_manage_orders,
    product,
    shipping_method,
    channel_USD,
):
    store()
    with freeze_time(MONDAY_MORNING):
        _place(user_api_client, product, shipping_method, channel_USD)
    order = Order.objects.get()
    staff = staff_in_group(permission_manage_orders)

    content = get_graphql_content(
        signed_in_now(staff).post_graphql(
            ORDER_CANCEL, {"id": graphene.Node.to_global_id("Order", order.pk)}
        )
    )

    assert content["data"]["orderCancel"]["errors"] == []
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELED
    promise = DeliveryPromise.objects.get()
    assert (promise.status, promise.review_at) == ("cancelled", None)
    assert promises.sweep(datetime(2026, 3, 9, tzinfo=UTC)) == ([], [])
    assert Notice.objects.count() == 0


def test_a_promise_cancelled_while_the_sweep_composes_is_not_told(
    store,
    user_api_client,
    staff_in_group,
    permission_manage_orders,
    product,
    shipping_method,
    channel_USD,
    monkeypatch,
):
    # given a late order, and its cancellation arriving after the sweep read and
    # decided the promise but before it wrote anything
    store()
    with freeze_time(MONDAY_MORNING):
        _place(user_api_client, product, shipping_method, channel_USD)
    order = Order.objects.get()
    staff = staff_in_group(permission_manage_orders)
    review_batch = promises._review_batch

    def review_then_cancel(batch, now):
        decisions = review_batch(batch, now)
        content = get_graphql_content(
            signed_in_now(staff).post_graphql(
                ORDER_CANCEL, {"id": graphene.Node.to_global_id("Order", order.pk)}
            )
        )
        assert content["data"]["orderCancel"]["errors"] == []
        return decisions

    monkeypatch.setattr(promises, "_review_batch", review_then_cancel)

    # when
    result = promises.sweep(datetime(2026, 3, 4, 1, tzinfo=UTC))

    # then the cancellation stands: no notice, no note, nothing told
    assert result == ([], [])
    assert Notice.objects.count() == 0
    assert _order_notes(order) == []
    promise = DeliveryPromise.objects.get()
    assert (promise.status, promise.notified_stage, promise.review_at) == (
        "cancelled",
        "",
        None,
    )


def test_warming_up_loads_the_languages_and_the_channels_settings(store, channel_USD):
    # given a channel whose merchant wrote texts in Italian too
    store(support_contact="Reply to this e-mail.\n[it]\nRispondi a questa e-mail.")
    fetch._parsed.cache_clear()
    language.words_for.cache_clear()

    # when a worker process starts
    promises.warm_up()

    # then the sweep finds the settings parsed, and every language's words loaded
    parsed = fetch._parsed.cache_info()
    assert (parsed.misses, parsed.currsize) == (1, 1)
    settings = fetch.channel_plugin(channel_USD.pk).settings
    assert fetch._parsed.cache_info().hits == parsed.hits + 1
    assert "it" in settings.written_languages
    assert language.words_for.cache_info().currsize == len(language.SPOKEN | {"it"})


DELIVERY_CONFIRM = """
mutation ($order: ID!, $deliveredAt: DateTime) {
  serviceDeliveryConfirm(order: $order, deliveredAt: $deliveredAt) {
    deliveryPromise { status deliveredAt isDeliveredOnTime }
    errors { field code message }
  }
}
"""


def _shipped_order(
    store, user_api_client, staff, product, shipping_method, channel, warehouse
):
    store()
    with freeze_time(MONDAY_MORNING):
        _place(user_api_client, product, shipping_method, channel)
    order = Order.objects.get()
    with freeze_time(datetime(2026, 3, 3, 10, tzinfo=UTC)):
        _fulfill(staff, order, 2, warehouse)
    return order


@pytest.mark.parametrize(
    ("client_name", "permission_name", "is_allowed"),
    [
        ("api_client", None, False),
        ("user_api_client", None, False),
        ("staff_api_client", None, False),
        ("staff_api_client", "permission_manage_orders", True),
        ("app_api_client", "permission_manage_orders", True),
    ],
)
def test_delivery_confirmation_records_on_time_delivery(
    store,
    user_api_client,
    product,
    shipping_method,
    channel_USD,
    warehouse,
    caller,
    staff_in_group,
    request,
    client_name,
    permission_name,
    is_allowed,
):
    # given a promise to deliver by Tuesday 10 March that shipped on time (fulfilled
    # by an app, so the staff user keeps only the permissions of the case)
    order = _shipped_order(
        store,
        user_api_client,
        caller("app_api_client", "permission_manage_orders"),
        product,
        shipping_method,
        channel_USD,
        warehouse,
    )
    if client_name == "staff_api_client" and permission_name:
        # Staff act in the channels their permission groups give them.
        client = staff_in_group(request.getfixturevalue(permission_name))
    else:
        client = caller(client_name, permission_name)

    # when
    with freeze_time(datetime(2026, 3, 12, tzinfo=UTC)):
        response = signed_in_now(client).post_graphql(
            DELIVERY_CONFIRM,
            {
                "order": graphene.Node.to_global_id("Order", order.pk),
                "deliveredAt": "2026-03-10T15:00:00+00:00",
            },
        )

    # then
    content = response.json()
    promise = DeliveryPromise.objects.get()
    if not is_allowed:
        assert content["errors"][0]["extensions"]["exception"]["code"] == (
            "PermissionDenied"
        )
        assert (promise.status, promise.delivered_at) == ("shipped_on_time", None)
        return
    assert content["data"]["serviceDeliveryConfirm"] == {
        "deliveryPromise": {
            "status": "DELIVERED",
            "deliveredAt": "2026-03-10T15:00:00+00:00",
            "isDeliveredOnTime": True,
        },
        "errors": [],
    }
    assert promise.is_delivered_on_time is True


@pytest.mark.parametrize(
    ("shipped", "delivered_at", "error"),
    [
        (
            False,
            "2026-03-10T15:00:00+00:00",
            {
                "field": "order",
                "code": "INVALID",
                "message": "The order has not shipped (its promise is on_track); "
                "confirm the delivery after every promised line has shipped.",
            },
        ),
        (
            True,
            "2026-03-13T15:00:00+00:00",
            {
                "field": "deliveredAt",
                "code": "INVALID",
                "message": "The delivery time is in the future.",
            },
        ),
    ],
)
def test_delivery_confirmation_refuses_what_cannot_be(
    store,
    user_api_client,
    staff_in_group,
    permission_manage_orders,
    product,
    shipping_method,
    channel_USD,
    warehouse,
    shipped,
    delivered_at,
    error,
):
    staff = staff_in_group(permission_manage_orders)
    if shipped:
        order = _shipped_order(
            store,
            user_api_client,
            staff,
            product,
            shipping_method,
            channel_USD,
            warehouse,
        )
    else:
        store()
        with freeze_time(MONDAY_MORNING):
            _place(user_api_client, product, shipping_method, channel_USD)
        order = Order.objects.get()
    status_before = DeliveryPromise.objects.get().status

    with freeze_time(datetime(2026, 3, 12, tzinfo=UTC)):
        content = get_graphql_content(
            signed_in_now(staff).post_graphql(
                DELIVERY_CONFIRM,
                {
                    "order": graphene.Node.to_global_id("Order", order.pk),
                    "deliveredAt": delivered_at,
                },
            )
        )

    assert content["data"]["serviceDeliveryConfirm"] == {
        "deliveryPromise": None,
        "errors": [error],
    }
    promise = DeliveryPromise.objects.get()
    assert (promise.status, promise.delivered_at) == (status_before, None)


def test_the_promise_sweep_is_registered_with_celery_beat():
    entry = celery_app.conf.beat_schedule[SWEEP_PROMISES_BEAT_ENTRY]
    assert entry["task"] == "saleor_cs_plugin.sweep_promises"
    assert entry["schedule"].total_seconds() == 300
    assert "saleor_cs_plugin.sweep_promises" in celery_app.tasks
