"""The customer's answer to a stock-shortage notice through /graphql/: a signed,
expiring, single-use link, no sign-in needed."""

from datetime import timedelta

import graphene
import pytest
from django.core import signing
from django.utils import timezone
from saleor.graphql.tests.utils import get_graphql_content
from saleor.order import OrderEvents
from saleor.order.models import OrderEvent
from shortage_support import (
    run_sweep,
    item_name,
    make_variant,
    set_stock,
    short_line,
    shortage_notices,
    shortage_settings,
)

from saleor_cs_plugin import shortages
from saleor_cs_plugin.domain.alerts import AlertKind
from saleor_cs_plugin.domain.history import Actor, ContactChannel, EntryType
from saleor_cs_plugin.domain.notices import NoticeType
from saleor_cs_plugin.models import ServiceHistoryEntry, StaffAlert, StockShortage

pytestmark = pytest.mark.django_db

CHOOSE = """
mutation Choose($token: String!, $choice: ServiceStockShortageChoiceEnum!, $alternative: ID) {
  serviceStockShortageChoose(token: $token, choice: $choice, alternative: $alternative) {
    result { choice item alternative orderNumber chosenAt }
    errors { field message code }
  }
}
"""


@pytest.fixture
def shortage_link(plugin_configuration, order_with_lines, channel_USD, warehouse):
    """A short line with one alternative offered; returns (token, alternative)."""
    plugin_configuration(**shortage_settings(shortage_staff_email="Orders@Example.com"))
    line = short_line(order_with_lines)
    alternative = make_variant(
        line.variant.product,
        channel=channel_USD,
        warehouse=warehouse,
        price="21",
        stock=9,
        sku="B-ALT",
        name="Blue",
    )
    set_stock(line, 0)
    run_sweep()
    (notice,) = shortage_notices()
    return notice.context["data"]["choiceToken"], alternative


def _choose(client, token, choice, alternative=None):
    response = client.post_graphql(
        CHOOSE, {"token": token, "choice": choice, "alternative": alternative}
    )
    return get_graphql_content(response)["data"]["serviceStockShortageChoose"]


@pytest.mark.parametrize(
    "client_name",
    [
        "api_client",
        "user_api_client",
        "other_customer_api_client",
        "staff_api_client",
        "app_api_client",
    ],
)
def test_anybody_holding_a_valid_link_can_answer(
    client_name, request, shortage_link, order_with_lines
):
    # the signed link is the permission: no sign-in, no staff permission
    token, _ = shortage_link
    client = request.getfixturevalue(client_name)

    result = _choose(client, token, "WAIT")

    assert result["errors"] == []
    assert result["result"]["choice"] == "WAIT"
    assert result["result"]["item"] == item_name(short_line(order_with_lines))
    assert result["result"]["alternative"] is None
    assert result["result"]["orderNumber"] == str(order_with_lines.number)
    assert StockShortage.objects.get().choice == "wait"


def test_switching_records_the_choice_everywhere_and_alerts_staff(
    api_client, shortage_link, order_with_lines, customer_user
):
    token, alternative = shortage_link
    alternative_id = graphene.Node.to_global_id("ProductVariant", alternative.pk)

    # when an anonymous shopper opens the link and switches
    result = _choose(api_client, token, "SWITCH", alternative_id)

    # then
    assert result["errors"] == []
    line = short_line(order_with_lines)
    assert result["result"]["alternative"] == f"{line.variant.product.name} (Blue)"
    shortage = StockShortage.objects.get()
    assert (shortage.choice, shortage.chosen_variant_id) == ("switch", alternative.pk)
    assert shortage.chosen_at is not None
    note = (
        f"The customer chose to switch to {line.variant.product.name} (Blue) "
        f"({item_name(line)} is out of stock)."
    )
    # in the service history, visible to the customer
    entry = ServiceHistoryEntry.objects.get(type=EntryType.CUSTOMER_CHOICE)
    assert (entry.order_id, entry.user_id, entry.customer_email) == (
        order_with_lines.pk,
        customer_user.pk,
        customer_user.email,
    )
    assert (entry.actor, entry.contact_channel, entry.is_customer_visible) == (
        Actor.CUSTOMER,
        ContactChannel.WEB,
        True,
    )
    assert entry.message == note
    assert entry.details["alternativeVariantId"] == alternative_id
    # as a note in the order's timeline
    event = OrderEvent.objects.get(order=order_with_lines, type=OrderEvents.NOTE_ADDED)
    assert event.parameters["message"] == note
    assert (event.user_id, event.app_id) == (None, None)
    # staff are alerted in the inbox
    alert = StaffAlert.objects.get(kind=AlertKind.SHORTAGE_CHOICE)
    data = {
        "shortageId": str(shortage.pk),
        "orderLineId": str(line.pk),
        "choice": "switch",
        "alternativeVariantId": alternative_id,
    }
    assert (alert.kind, alert.cause_key, alert.channel_id, alert.order_id) == (
        AlertKind.SHORTAGE_CHOICE,
        f"shortage_choice:{line.pk}:1",
        order_with_lines.channel_id,
        order_with_lines.pk,
    )
    assert alert.title == (
        f"Order #{order_with_lines.number}: the customer chose to switch from "
        f"{item_name(line)} to {line.variant.product.name} (Blue)"
    )
    assert alert.message == (
        f"Order #{order_with_lines.number}: {note} Please act on it in the "
        "Dashboard; the order was not changed."
    )
    assert alert.details == data
    assert (alert.occurrences, alert.resolved_at) == (1, None)
    # and by e-mail, the channel having a staff address
    (email,) = shortage_notices(NoticeType.STAFF_ALERT)
    assert email.recipient_email == "orders@example.com"
    assert email.context["subject"] == (
        f"Order #{order_with_lines.number}: the customer answered about a short item"
    )
    assert email.context["message"] == alert.message
    assert email.context["data"] == data
    # and the order itself is unchanged
    line.refresh_from_db()
    assert (line.quantity, line.variant_id) == (
        2,
        StockShortage.objects.get().variant_id,
    )


def test_a_used_link_is_rejected(api_client, shortage_link):
    token, _ = shortage_link
    assert _choose(api_client, token, "CANCEL")["errors"] == []

    # when the link is used again
    result = _choose(api_client, token, "WAIT")

    # then
    assert result["result"] is None
    assert result["errors"] == [
        {
            "field": "token",
            "code": "ALREADY_USED",
            "message": "This link was already used to answer; each link answers once. "
            "Contact the store to change your answer.",
        }
    ]
    assert StockShortage.objects.get().choice == "cancel"
    assert (
        ServiceHistoryEntry.objects.filter(type=EntryType.CUSTOMER_CHOICE).count() == 1
    )
    assert len(shortage_notices(NoticeType.STAFF_ALERT)) == 1
    assert list(
        StaffAlert.objects.filter(kind=AlertKind.SHORTAGE_CHOICE).values_list(
            "occurrences", flat=True
        )
    ) == [1]


def test_an_expired_link_is_rejected(api_client, shortage_link):
    token, _ = shortage_link
    expired_at = timezone.now() - timedelta(minutes=1)
    StockShortage.objects.update(link_expires_at=expired_at)

    result = _choose(api_client, token, "WAIT")

    assert result["errors"] == [
        {
            "field": "token",
            "code": "EXPIRED",
            "message": f"This link expired at {expired_at:%Y-%m-%d %H:%M} UTC. "
            "Contact the store to choose what happens to the item.",
        }
    ]
    assert StockShortage.objects.get().chosen_at is None
    assert OrderEvent.objects.filter(type=OrderEvents.NOTE_ADDED).exists() is False


@pytest.mark.parametrize(
    "bad_token",
    [
        "not-a-token",
        "",
        # a well-formed token for the same shortage signed with another key
        "forged",
        # the right shortage with another nonce, signed with the right key
        "other-nonce",
    ],
)
def test_a_bad_token_is_rejected(api_client, shortage_link, bad_token):
    token, _ = shortage_link
    shortage = StockShortage.objects.get()
    if bad_token == "forged":
        bad_token = signing.dumps(
            [str(shortage.pk), shortage.link_nonce],
            key="another-secret",
            salt=shortages.CHOICE_TOKEN_SALT,
            compress=False,
        )
    elif bad_token == "other-nonce":
        bad_token = signing.dumps(
            [str(shortage.pk), "guessed"],
            salt=shortages.CHOICE_TOKEN_SALT,
            compress=False,
        )

    result = _choose(api_client, bad_token, "CANCEL")

    assert result["errors"] == [
        {
            "field": "token",
            "code": "INVALID",
            "message": "This link is not valid: it was changed or cut short. Open the "
            "link from the message exactly as it is.",
        }
    ]
    assert StockShortage.objects.get().chosen_at is None


def test_switching_to_a_variant_not_offered_is_explained(api_client, shortage_link):
    token, alternative = shortage_link
    other = graphene.Node.to_global_id("ProductVariant", alternative.pk + 1000)

    missing = _choose(api_client, token, "SWITCH")
    unoffered = _choose(api_client, token, "SWITCH", other)
    wrong_type = _choose(
        api_client, token, "SWITCH", graphene.Node.to_global_id("Order", 1)
    )

    assert missing["errors"] == [
        {
            "field": "alternative",
            "code": "REQUIRED",
            "message": "Choose one of the offered alternatives to switch to.",
        }
    ]
    assert unoffered["errors"] == [
        {
            "field": "alternative",
            "code": "INVALID",
            "message": "This product variant was not offered as an alternative; use "
            f"one of the offered ones: {alternative.pk}.",
        }
    ]
    assert wrong_type["errors"][0]["field"] == "alternative"
    assert wrong_type["errors"][0]["code"] == "INVALID"
    # the link still works afterwards
    assert _choose(api_client, token, "WAIT")["errors"] == []


def test_after_good_news_there_is_nothing_to_choose(
    api_client, shortage_link, order_with_lines
):
    token, _ = shortage_link
    set_stock(short_line(order_with_lines), 5)
    run_sweep()

    result = _choose(api_client, token, "CANCEL")

    assert result["errors"][0]["code"] == "INVALID"
    assert result["errors"][0]["message"] == (
        "The item is back in stock and your order is on track; there is nothing "
        "to choose."
    )


def test_a_customer_who_waits_still_gets_good_news(
    api_client, shortage_link, order_with_lines
):
    token, _ = shortage_link
    _choose(api_client, token, "WAIT")

    set_stock(short_line(order_with_lines), 5)
    run_sweep()

    assert len(shortage_notices(NoticeType.STOCK_RESTORED)) == 1


def test_a_customer_who_cancelled_gets_no_good_news(
    api_client, shortage_link, order_with_lines
):
    token, _ = shortage_link
    _choose(api_client, token, "CANCEL")

    set_stock(short_line(order_with_lines), 5)
    run_sweep()

    assert shortage_notices(NoticeType.STOCK_RESTORED) == []
    assert StockShortage.objects.get().status == "restored"


def test_without_a_staff_address_the_choice_is_in_the_staff_inbox(
    api_client, plugin_configuration, order_with_lines
):
    # given a channel with no shortage_staff_email
    plugin_configuration(**shortage_settings())
    line = short_line(order_with_lines)
    set_stock(line, 0)
    run_sweep()
    (notice,) = shortage_notices()

    # when the customer cancels the item
    result = _choose(api_client, notice.context["data"]["choiceToken"], "CANCEL")

    # then the alert is in the inbox, and no e-mail is queued
    assert result["errors"] == []
    alert = StaffAlert.objects.get(kind=AlertKind.SHORTAGE_CHOICE)
    shortage = StockShortage.objects.get()
    assert (alert.kind, alert.cause_key, alert.channel_id, alert.order_id) == (
        AlertKind.SHORTAGE_CHOICE,
        f"shortage_choice:{line.pk}:1",
        order_with_lines.channel_id,
        order_with_lines.pk,
    )
    assert alert.title == (
        f"Order #{order_with_lines.number}: the customer chose to cancel "
        "Test product 2 (SKU_B)"
    )
    assert alert.message == (
        f"Order #{order_with_lines.number}: The customer chose to cancel the item "
        "(Test product 2 (SKU_B) is out of stock). Please act on it in the "
        "Dashboard; the order was not changed."
    )
    assert alert.details == {
        "shortageId": str(shortage.pk),
        "orderLineId": str(line.pk),
        "choice": "cancel",
        "alternativeVariantId": None,
    }
    assert (alert.occurrences, alert.resolved_at) == (1, None)
    assert shortage_notices(NoticeType.STAFF_ALERT) == []


def test_a_line_known_by_a_stand_in_name_is_noted_by_its_variants_sku(
    api_client, plugin_configuration, order_with_lines
):
    # given a line that kept Saleor's stand-in for its variant's name and no SKU of
    # its own; its variant has the SKU SKU_B
    plugin_configuration(**shortage_settings())
    line = short_line(order_with_lines)
    line.variant_name = graphene.Node.to_global_id("ProductVariant", line.variant_id)
    line.product_sku = None
    line.save(update_fields=["variant_name", "product_sku"])
    set_stock(line, 0)
    run_sweep()
    (notice,) = shortage_notices()

    # when
    result = _choose(api_client, notice.context["data"]["choiceToken"], "WAIT")

    # then the notice, the answer, the timeline and the inbox name it by the SKU
    note = "The customer chose to wait for the item (Test product 2 (SKU_B) is out of stock)."
    assert (
        notice.context["subject"]
        == "We are sorry: Test product 2 (SKU_B) is not in stock"
    )
    assert result["result"]["item"] == "Test product 2 (SKU_B)"
    event = OrderEvent.objects.get(order=order_with_lines, type=OrderEvents.NOTE_ADDED)
    assert event.parameters["message"] == note
    assert (
        ServiceHistoryEntry.objects.get(type=EntryType.CUSTOMER_CHOICE).message == note
    )
    assert StaffAlert.objects.get(kind=AlertKind.SHORTAGE_CHOICE).title == (
        f"Order #{order_with_lines.number}: the customer chose to wait for "
        "Test product 2 (SKU_B)"
    )
