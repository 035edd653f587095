"""A shopper's way through Saleor's GraphQL API: a checkout placed as an order, the same
on every supported Saleor version."""

import graphene
from saleor.graphql.tests.utils import get_graphql_content

CHECKOUT_CREATE = """
mutation ($input: CheckoutCreateInput!) {
  checkoutCreate(input: $input) {
    checkout { id }
    errors { field code message }
  }
}
"""

DELIVERY_METHOD_UPDATE = """
mutation ($id: ID!, $deliveryMethodId: ID!) {
  checkoutDeliveryMethodUpdate(id: $id, deliveryMethodId: $deliveryMethodId) {
    errors { field code message }
  }
}
"""

CHECKOUT_COMPLETE = """
mutation ($id: ID!) {
  checkoutComplete(id: $id) {
    order { id number }
    errors { field code message }
  }
}
"""

SHIPPING_ADDRESS = {
    "firstName": "Ada",
    "lastName": "Lovelace",
    "streetAddress1": "Tęczowa 7",
    "city": "Wrocław",
    "postalCode": "53-601",
    "country": "PL",
    "phone": "+48713988102",
}


def signed_in_now(api_client):
    """The client with a token issued at the current (possibly frozen) time."""
    api_client.token = None
    return api_client


def place_order(
    api_client, *, channel, lines, shipping_method=None, email="shopper@example.com"
):
    """Check out ``lines`` ([(variant, quantity)]) as a storefront does; the channel
    must allow unpaid orders. Returns the order's global id and number."""
    checkout_id = start_checkout(
        api_client,
        channel=channel,
        lines=lines,
        shipping_method=shipping_method,
        email=email,
    )
    completed = get_graphql_content(
        api_client.post_graphql(CHECKOUT_COMPLETE, {"id": checkout_id})
    )["data"]["checkoutComplete"]
    assert completed["errors"] == []
    return completed["order"]


def start_checkout(
    api_client,
    *,
    channel,
    lines,
    shipping_method=None,
    email="shopper@example.com",
    **post_kwargs,
):
    """A checkout of ``lines`` with addresses and, if given, a delivery method.
    Returns its global id."""
    signed_in_now(api_client)
    created = get_graphql_content(
        api_client.post_graphql(
            CHECKOUT_CREATE,
            {
                "input": {
                    "channel": channel.slug,
                    "email": email,
                    "lines": [
                        {
                            "variantId": graphene.Node.to_global_id(
                                "ProductVariant", variant.pk
                            ),
                            "quantity": quantity,
                        }
                        for variant, quantity in lines
                    ],
                    "shippingAddress": SHIPPING_ADDRESS,
                    "billingAddress": SHIPPING_ADDRESS,
                }
            },
            **post_kwargs,
        )
    )["data"]["checkoutCreate"]
    assert created["errors"] == []
    checkout_id = created["checkout"]["id"]
    if shipping_method is not None:
        updated = get_graphql_content(
            api_client.post_graphql(
                DELIVERY_METHOD_UPDATE,
                {
                    "id": checkout_id,
                    "deliveryMethodId": graphene.Node.to_global_id(
                        "ShippingMethod", shipping_method.pk
                    ),
                },
            )
        )["data"]["checkoutDeliveryMethodUpdate"]
        assert updated["errors"] == []
    return checkout_id
