"""The order timeline tells staff what happened to a delay notice: decided and queued,
then sent (by which transport) or not sent (why), one note each, never "told" before
it is true; and the promise says which stage the customer actually received."""

from datetime import UTC, datetime

import graphene
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from freezegun import freeze_time
from saleor.graphql.tests.utils import get_graphql_content
from saleor.order import OrderEvents
from saleor.order.models import Order, OrderEvent
from saleor.plugins.models import PluginConfiguration

from conftest import WEBHOOK_SECRET
from storefront import place_order, signed_in_now
from saleor_cs_plugin import promises, tasks
from saleor_cs_plugin.domain.notices import NoticeStatus
from saleor_cs_plugin.models import DeliveryPromise, DeliveryPromiseLine, Notice

# Monday 2 March 2026, 09:00 UTC: ships by Tuesday 3 March (Wednesday 4 is a
# holiday); at risk from Tuesday 04:30, late from Wednesday 00:00.
MONDAY_MORNING = datetime(2026, 3, 2, 9, tzinfo=UTC)
TUESDAY_AT_RISK = datetime(2026, 3, 3, 5, tzinfo=UTC)
WEDNESDAY_LATE = datetime(2026, 3, 4, 1, tzinfo=UTC)

PROMISE_NOTICES_QUERY = """
query ($id: ID!) {
  order(id: $id) {
    deliveryPromise {
      notifiedStage
      customerToldStage
      delayNotices { delayStage status transport lastError }
    }
  }
}
"""

LINES_QUERY = """
query ($id: ID!) {
  order(id: $id) { deliveryPromise { lines { variantName name } } }
}
"""

CUSTOMER_PROMISE_QUERY = """
query ($id: ID!) {
  order(id: $id) { deliveryPromise { notifiedStage customerToldStage } }
}
"""


@pytest.fixture
def store(channel_USD, shipping_method, plugin_configuration):
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
            quiet_hours="",
            **values,
        )

    return configure


def _email(smtp_receiver):
    return {
        "notice_transports": "*=email",
        "smtp_host": "127.0.0.1",
        "smtp_port": str(smtp_receiver.port),
        "smtp_security": "none",
        "sender_address": "care@example.com",
    }


def _webhook(webhook_receiver):
    return {
        "notice_transports": "*=webhook",
        "webhook_url": webhook_receiver.url,
        "webhook_secret": WEBHOOK_SECRET,
        "retry_base_seconds": "1",
    }


def _placed_order(user_api_client, product, shipping_method, channel):
    with freeze_time(MONDAY_MORNING):
        placed = place_order(
            user_api_client,
            channel=channel,
            lines=[(product.variants.get(), 2)],
            shipping_method=shipping_method,
        )
    return Order.objects.get(number=placed["number"])


def _notes(order):
    return list(
        OrderEvent.objects.filter(order=order, type=OrderEvents.NOTE_ADDED)
        .order_by("date", "pk")
        .values_list("parameters__message", flat=True)
    )


def _promise_notices(client, order):
    content = get_graphql_content(
        signed_in_now(client).post_graphql(
            PROMISE_NOTICES_QUERY,
            {"id": graphene.Node.to_global_id("Order", order.pk)},
        )
    )
    return content["data"]["order"]["deliveryPromise"]


AT_RISK_FACTS = (
    "Promised ship-by 2026-03-03; new estimate: ships by 2026-03-05, arrives by "
    "2026-03-11. Waiting: 2 × Test product (123)."
)


def test_a_notice_sent_by_email_is_noted_queued_then_sent(
    store,
    user_api_client,
    product,
    shipping_method,
    channel_USD,
    smtp_receiver,
    staff_in_group,
    permission_manage_orders,
):
    # given an order at risk, its notice decided
    store(**_email(smtp_receiver))
    order = _placed_order(user_api_client, product, shipping_method, channel_USD)
    notice_ids, _ = promises.sweep(TUESDAY_AT_RISK)
    staff = staff_in_group(permission_manage_orders)
    queued = (
        f"Delivery promise at risk: notice to the customer queued (e-mail). "
        f"{AT_RISK_FACTS}"
    )
    assert _notes(order) == [queued]
    before = _promise_notices(staff, order)

    # when the worker sends it
    outcome = tasks.deliver_notice(notice_ids[0])

    # then
    assert outcome == "sent"
    assert len(smtp_receiver.messages) == 1
    assert _notes(order) == [
        queued,
        "Delivery promise at risk: notice sent to the customer by e-mail.",
    ]
    assert before == {
        "notifiedStage": "AT_RISK",
        "customerToldStage": None,
        "delayNotices": [
            {
                "delayStage": "AT_RISK",
                "status": "PENDING",
                "transport": "EMAIL",
                "lastError": "",
            }
        ],
    }
    assert _promise_notices(staff, order) == {
        "notifiedStage": "AT_RISK",
        "customerToldStage": "AT_RISK",
        "delayNotices": [
            {
                "delayStage": "AT_RISK",
                "status": "SENT",
                "transport": "EMAIL",
                "lastError": "",
            }
        ],
    }


def test_a_notice_that_fails_is_noted_not_sent_and_the_customer_is_not_taken_to_know(
    store,
    user_api_client,
    product,
    shipping_method,
    channel_USD,
    staff_in_group,
    permission_manage_orders,
):
    # given the default transport, Saleor's notifications, with no app listening
    store()
    order = _placed_order(user_api_client, product, shipping_method, channel_USD)
    notice_ids, _ = promises.sweep(TUESDAY_AT_RISK)

    # when the worker tries it
    outcome = tasks.deliver_notice(notice_ids[0])

    # then
    error = "Saleor notify: no app receives Saleor's notifications (NOTIFY_USER)"
    assert outcome == "failed"
    assert _notes(order) == [
        "Delivery promise at risk: notice to the customer queued (Saleor's "
        f"notifications). {AT_RISK_FACTS}",
        f"Delivery promise at risk: notice NOT sent: {error}; the customer was not "
        "told.",
    ]
    assert _promise_notices(staff_in_group(permission_manage_orders), order) == {
        "notifiedStage": "AT_RISK",
        "customerToldStage": None,
        "delayNotices": [
            {
                "delayStage": "AT_RISK",
                "status": "FAILED",
                "transport": "SALEOR_NOTIFY",
                "lastError": error,
            }
        ],
    }
    # and the customer's own view says the same
    content = get_graphql_content(
        signed_in_now(user_api_client).post_graphql(
            CUSTOMER_PROMISE_QUERY,
            {"id": graphene.Node.to_global_id("Order", order.pk)},
        )
    )
    assert content["data"]["order"]["deliveryPromise"] == {
        "notifiedStage": "AT_RISK",
        "customerToldStage": None,
    }


def test_the_customer_does_not_see_the_delay_notices_themselves(
    store, user_api_client, product, shipping_method, channel_USD
):
    store()
    order = _placed_order(user_api_client, product, shipping_method, channel_USD)
    promises.sweep(TUESDAY_AT_RISK)

    response = signed_in_now(user_api_client).post_graphql(
        PROMISE_NOTICES_QUERY, {"id": graphene.Node.to_global_id("Order", order.pk)}
    )

    content = response.json()
    assert [e["extensions"]["exception"]["code"] for e in content["errors"]] == [
        "PermissionDenied"
    ]
    assert content["errors"][0]["path"] == ["order", "deliveryPromise", "delayNotices"]
    assert content["data"]["order"]["deliveryPromise"] == {
        "notifiedStage": "AT_RISK",
        "customerToldStage": None,
        "delayNotices": None,
    }


def test_a_retry_adds_no_note_and_the_one_that_goes_says_so(
    store, user_api_client, product, shipping_method, channel_USD, webhook_receiver
):
    # given a receiver that answers 503 once
    store(**_webhook(webhook_receiver))
    webhook_receiver.planned_statuses = [503]
    order = _placed_order(user_api_client, product, shipping_method, channel_USD)
    notice_ids, _ = promises.sweep(TUESDAY_AT_RISK)
    queued = (
        f"Delivery promise at risk: notice to the customer queued (webhook). "
        f"{AT_RISK_FACTS}"
    )

    # when the first attempt fails, then the retry goes
    first = tasks.deliver_notice(notice_ids[0])
    notes_after_retry = _notes(order)
    Notice.objects.filter(pk=notice_ids[0]).update(next_attempt_at=timezone.now())
    second = tasks.deliver_notice(notice_ids[0])

    # then
    assert (first, second) == ("retry", "sent")
    assert notes_after_retry == [queued]
    assert _notes(order) == [
        queued,
        "Delivery promise at risk: notice sent to the customer by webhook.",
    ]


def test_a_notice_that_waits_adds_no_note(
    store, user_api_client, product, shipping_method, channel_USD, webhook_receiver
):
    # given delay notices that are not essential, and quiet hours now
    hour = timezone.now().hour
    store(
        **_webhook(webhook_receiver),
        essential_notice_types="stock_shortage",
    )
    order = _placed_order(user_api_client, product, shipping_method, channel_USD)
    notice_ids, _ = promises.sweep(TUESDAY_AT_RISK)
    configuration = PluginConfiguration.objects.get(channel=channel_USD)
    for item in configuration.configuration:
        if item["name"] == "quiet_hours":
            item["value"] = f"{hour}-{(hour + 2) % 24}"
    configuration.save(update_fields=["configuration"])

    # when
    outcome = tasks.deliver_notice(notice_ids[0])

    # then it waits for the morning, and the timeline only says it was queued
    assert outcome == "deferred"
    assert Notice.objects.get(pk=notice_ids[0]).status == NoticeStatus.PENDING
    assert _notes(order) == [
        f"Delivery promise at risk: notice to the customer queued (webhook). "
        f"{AT_RISK_FACTS}"
    ]
    assert webhook_receiver.requests == []


def test_a_notice_skipped_at_delivery_is_noted_not_sent(
    store, user_api_client, product, shipping_method, channel_USD, webhook_receiver
):
    # given the plugin is turned off in the channel after the notice was decided
    configuration = store(**_webhook(webhook_receiver))
    order = _placed_order(user_api_client, product, shipping_method, channel_USD)
    notice_ids, _ = promises.sweep(TUESDAY_AT_RISK)
    configuration.active = False
    configuration.save(update_fields=["active"])

    # when
    outcome = tasks.deliver_notice(notice_ids[0])

    # then
    assert outcome == "skipped"
    assert _notes(order)[1:] == [
        "Delivery promise at risk: notice NOT sent: The plugin is not active in the "
        "channel 'main'; the customer was not told."
    ]
    assert webhook_receiver.requests == []


def test_a_variant_known_only_by_a_stand_in_is_named_by_its_sku(
    store, user_api_client, product, shipping_method, channel_USD, webhook_receiver
):
    # given Saleor kept the variant's GraphQL id as its name on the order line
    store(**_webhook(webhook_receiver))
    order = _placed_order(user_api_client, product, shipping_method, channel_USD)
    stand_in = graphene.Node.to_global_id("ProductVariant", 384)
    order.lines.update(variant_name=stand_in, product_sku="JUICE-1L")
    DeliveryPromiseLine.objects.update(variant_name=stand_in)

    # when
    notice_ids, _ = promises.sweep(TUESDAY_AT_RISK)

    # then staff and customer read the SKU, never the id
    notice = Notice.objects.get(pk=notice_ids[0])
    [note] = _notes(order)
    assert note.endswith(" Waiting: 2 × Test product (JUICE-1L).")
    assert "Still waiting: 2 × Test product (JUICE-1L)." in notice.context["message"]
    assert stand_in not in note + notice.context["message"]
    assert notice.context["data"]["waitingLines"] == [
        {
            "productName": "Test product",
            "variantName": stand_in,
            "sku": "JUICE-1L",
            "name": "Test product (JUICE-1L)",
            "quantity": 2,
        }
    ]
    content = get_graphql_content(
        signed_in_now(user_api_client).post_graphql(
            LINES_QUERY, {"id": graphene.Node.to_global_id("Order", order.pk)}
        )
    )
    assert content["data"]["order"]["deliveryPromise"]["lines"] == [
        {"variantName": stand_in, "name": "Test product (JUICE-1L)"}
    ]


def test_a_backfilled_order_gets_no_notice_for_the_stage_it_had_already_reached(
    store,
    user_api_client,
    product,
    shipping_method,
    channel_USD,
    staff_in_group,
    permission_manage_orders,
):
    # given an order placed when its method had no delivery days and the store no
    # default: no promise
    shipping_method.minimum_delivery_days = None
    shipping_method.maximum_delivery_days = None
    shipping_method.save()
    configuration = store()
    order = _placed_order(user_api_client, product, shipping_method, channel_USD)
    assert DeliveryPromise.objects.count() == 0

    # when the store sets a default the next day, once the order would be at risk,
    # and the sweep backfills and reviews
    for item in configuration.configuration:
        if item["name"] == "promise_default_delivery_days":
            item["value"] = "2-4"
    configuration.save(update_fields=["configuration"])
    backfilled = promises.backfill_promises(TUESDAY_AT_RISK)
    notice_ids, planned = promises.sweep(TUESDAY_AT_RISK)

    # then the promise is at risk, marked so, and nobody is told
    assert backfilled == 1
    assert (notice_ids, planned) == ([], [])
    assert Notice.objects.count() == 0
    promise = DeliveryPromise.objects.get()
    assert (promise.status, promise.notified_stage, promise.review_at) == (
        "at_risk",
        "at_risk",
        datetime(2026, 3, 4, tzinfo=UTC),
    )
    assert _notes(order) == [
        "Delivery promise recorded late, when the order was already at risk: no "
        f"notice for this stage; the customer was not told. {AT_RISK_FACTS}"
    ]
    assert _promise_notices(staff_in_group(permission_manage_orders), order) == {
        "notifiedStage": "AT_RISK",
        "customerToldStage": None,
        "delayNotices": [],
    }

    # and a stage it reaches later is told as usual
    late_ids, late = promises.sweep(WEDNESDAY_LATE)
    assert [notice.stage for notice in late] == ["late"]
    assert Notice.objects.get(pk=late_ids[0]).context["data"]["stage"] == "late"


def test_a_backfilled_order_on_track_is_told_of_its_first_delay(
    store, user_api_client, product, shipping_method, channel_USD, monkeypatch
):
    # given an order whose promise was not recorded when it was placed
    store()
    monkeypatch.setattr(promises, "record_promise", lambda *args, **kwargs: None)
    order = _placed_order(user_api_client, product, shipping_method, channel_USD)
    monkeypatch.undo()

    # when the sweep backfills it an hour later, on track, then comes back at risk
    assert promises.backfill_promises(datetime(2026, 3, 2, 10, tzinfo=UTC)) == 1
    notice_ids, planned = promises.sweep(TUESDAY_AT_RISK)

    # then
    assert [notice.stage for notice in planned] == ["at_risk"]
    assert len(notice_ids) == 1
    assert _notes(order) == [
        "Delivery promise at risk: notice to the customer queued (Saleor's "
        f"notifications). {AT_RISK_FACTS}"
    ]


STAFF_ORDERS_QUERY = """
{
  orders(first: 20) {
    edges {
      node {
        number
        deliveryPromise {
          customerToldStage
          delayNotices { delayStage status }
        }
      }
    }
  }
}
"""


def test_what_the_customers_were_told_takes_a_constant_number_of_queries(
    store,
    user_api_client,
    product,
    shipping_method,
    channel_USD,
    staff_in_group,
    permission_manage_orders,
):
    store()
    staff = staff_in_group(permission_manage_orders)
    _placed_order(user_api_client, product, shipping_method, channel_USD)
    promises.sweep(TUESDAY_AT_RISK)
    signed_in_now(staff)
    with CaptureQueriesContext(connection) as one:
        get_graphql_content(staff.post_graphql(STAFF_ORDERS_QUERY))
    for _ in range(3):
        _placed_order(user_api_client, product, shipping_method, channel_USD)
    promises.sweep(datetime(2026, 3, 3, 6, tzinfo=UTC))

    signed_in_now(staff)
    with CaptureQueriesContext(connection) as four:
        content = get_graphql_content(staff.post_graphql(STAFF_ORDERS_QUERY))

    edges = content["data"]["orders"]["edges"]
    assert [edge["node"]["deliveryPromise"] for edge in edges] == [
        {
            "customerToldStage": None,
            "delayNotices": [{"delayStage": "AT_RISK", "status": "PENDING"}],
        }
    ] * 4
    assert len(four.captured_queries) == len(one.captured_queries)
