"""Set-up shared by the survey sweep tests: a store that takes unpaid orders, its
plugin settings, and orders fulfilled through Saleor's GraphQL API."""

from datetime import UTC, datetime

import graphene
from saleor.graphql.tests.utils import get_graphql_content

from storefront import place_order, signed_in_now

# Monday 2 March 2026, 09:00 UTC.
MONDAY = datetime(2026, 3, 2, 9, tzinfo=UTC)

ORDER_FULFILL = """
mutation ($order: ID!, $input: OrderFulfillInput!) {
  orderFulfill(order: $order, input: $input) {
    fulfillments { id }
    errors { field code message }
  }
}
"""

DELIVERY_CONFIRM = """
mutation ($order: ID!, $deliveredAt: DateTime) {
  serviceDeliveryConfirm(order: $order, deliveredAt: $deliveredAt) {
    errors { field code message }
  }
}
"""


def survey_settings(smtp_receiver=None, **extra):
    """Surveys asked of every customer by default, on e-mail to ``smtp_receiver``
    (else through Saleor's notifications), at any hour."""
    transport = {"notice_transports": "*=saleor_notify"}
    if smtp_receiver is not None:
        transport = {
            "notice_transports": "*=email",
            "smtp_host": "127.0.0.1",
            "smtp_port": str(smtp_receiver.port),
            "smtp_security": "none",
            "sender_name": "Acme Care",
            "sender_address": "care@example.com",
        }
    return {
        **transport,
        "quiet_hours": "",
        "support_contact": "Reply to this e-mail.",
        "survey_completed_percent": "100",
        "survey_abandoned_percent": "100",
        "survey_after_problem_percent": "100",
        **extra,
    }


def open_store(channel, shipping_method):
    channel.allow_unpaid_orders = True
    channel.automatically_confirm_all_new_orders = True
    channel.save()
    shipping_method.minimum_delivery_days = 2
    shipping_method.maximum_delivery_days = 4
    shipping_method.save()


def place(api_client, product, shipping_method, channel, *, quantity=2, **kwargs):
    return place_order(
        api_client,
        channel=channel,
        lines=[(product.variants.get(), quantity)],
        shipping_method=shipping_method,
        **kwargs,
    )


def fulfill(staff_client, order, quantity, warehouse, tracking=""):
    """Ship ``quantity`` of the order's one line; returns the fulfilment's id."""
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
    )["data"]["orderFulfill"]
    assert content["errors"] == []
    return content["fulfillments"][0]["id"]


def confirm_delivery(staff_client, order, delivered_at: datetime):
    content = get_graphql_content(
        signed_in_now(staff_client).post_graphql(
            DELIVERY_CONFIRM,
            {
                "order": graphene.Node.to_global_id("Order", order.pk),
                "deliveredAt": delivered_at.isoformat(),
            },
        )
    )["data"]["serviceDeliveryConfirm"]
    assert content["errors"] == []
