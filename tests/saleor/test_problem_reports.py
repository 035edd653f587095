"""A customer reports a problem with an order through Saleor's /graphql/ endpoint
(``serviceProblemReport``): who may report (the order's signed-in customer, or
whoever holds its token), what is filed (a web conversation with the order, a staff
alert), and what is refused."""

import graphene
import pytest
from saleor.graphql.tests.utils import get_graphql_content
from saleor.order import OrderStatus

from saleor_cs_plugin.domain.alerts import AlertKind
from saleor_cs_plugin.domain.conversations import ConversationStatus, Direction
from saleor_cs_plugin.domain.history import Actor, ContactChannel, EntryType
from saleor_cs_plugin.models import (
    Conversation,
    ConversationMessage,
    ServiceHistoryEntry,
    StaffAlert,
)

REPORT = """
mutation ($orderId: ID, $orderToken: UUID, $problem: ServiceReportedProblemEnum!,
          $text: String!) {
  serviceProblemReport(
    orderId: $orderId, orderToken: $orderToken, problem: $problem, text: $text
  ) {
    entry { type contactChannel actor message isCustomerVisible order { number } }
    errors { field code message }
  }
}
"""

MY_HISTORY = """
{ me { serviceHistory(first: 10) { edges { node { type message } } } } }
"""


def _order_id(order) -> str:
    return graphene.Node.to_global_id("Order", order.pk)


@pytest.fixture
def store(plugin_configuration):
    return plugin_configuration()


@pytest.fixture
def placed_order(order_with_lines, customer_user, channel_USD):
    order_with_lines.user = customer_user
    order_with_lines.user_email = customer_user.email
    order_with_lines.channel = channel_USD
    order_with_lines.status = OrderStatus.UNFULFILLED
    order_with_lines.save(update_fields=["user", "user_email", "channel", "status"])
    return order_with_lines


def _report(client, **variables):
    variables = {"problem": "DAMAGED", "text": "The box was crushed.", **variables}
    return get_graphql_content(client.post_graphql(REPORT, variables))["data"][
        "serviceProblemReport"
    ]


def _not_found_by_id(order):
    return [
        {
            "field": "orderId",
            "code": "NOT_FOUND",
            "message": f"No order of yours has the ID '{_order_id(order)}'; sign in "
            "as its customer, or give its token.",
        }
    ]


def test_the_signed_in_customer_reports_and_staff_are_alerted(
    store, placed_order, user_api_client, customer_user, channel_USD
):
    # when the customer reports that something arrived damaged
    content = _report(user_api_client, orderId=_order_id(placed_order))

    # then a web conversation holds the report with its order
    assert content["errors"] == []
    assert content["entry"] == {
        "type": "MESSAGE",
        "contactChannel": "WEB",
        "actor": "CUSTOMER",
        "message": "Problem reported: something arrived damaged.\n\n"
        "The box was crushed.",
        "isCustomerVisible": True,
        "order": {"number": str(placed_order.number)},
    }
    conversation = Conversation.objects.get()
    assert (
        conversation.channel_id,
        conversation.contact_channel,
        conversation.sender,
        conversation.user_id,
        conversation.order_id,
        conversation.status,
    ) == (
        channel_USD.pk,
        ContactChannel.WEB,
        customer_user.email.lower(),
        customer_user.pk,
        placed_order.pk,
        ConversationStatus.WAITING_ON_STORE,
    )
    (message,) = ConversationMessage.objects.all()
    assert (message.direction, message.problem, message.order_id) == (
        Direction.CUSTOMER,
        "damaged",
        placed_order.pk,
    )
    # and staff have one alert about it, for the order
    (alert,) = StaffAlert.objects.all()
    assert (alert.kind, alert.channel_id, alert.order_id, alert.title) == (
        AlertKind.PROBLEM_REPORTED,
        channel_USD.pk,
        placed_order.pk,
        f"Order #{placed_order.number}: customer reports something arrived damaged",
    )
    assert alert.details == {
        "conversationId": str(conversation.pk),
        "messageId": str(message.pk),
        "problem": "damaged",
    }
    # and the customer reads it in their history
    history = get_graphql_content(user_api_client.post_graphql(MY_HISTORY))
    assert history["data"]["me"]["serviceHistory"]["edges"] == [
        {"node": {"type": "MESSAGE", "message": content["entry"]["message"]}}
    ]


def test_a_guest_reports_with_the_order_token(store, placed_order, api_client):
    placed_order.user = None
    placed_order.user_email = "guest@example.com"
    placed_order.save(update_fields=["user", "user_email"])

    content = _report(
        api_client, orderToken=str(placed_order.pk), problem="LATE", text="Where?"
    )

    assert content["errors"] == []
    conversation = Conversation.objects.get()
    assert (conversation.user_id, conversation.customer_email, conversation.sender) == (
        None,
        "guest@example.com",
        "guest@example.com",
    )
    assert ConversationMessage.objects.get().problem == "late"


def test_a_second_report_joins_the_open_web_conversation(
    store, placed_order, order, user_api_client, customer_user, channel_USD
):
    order.user = customer_user
    order.channel = channel_USD
    order.status = OrderStatus.UNFULFILLED
    order.save(update_fields=["user", "channel", "status"])

    _report(user_api_client, orderId=_order_id(placed_order))
    second = _report(
        user_api_client, orderId=_order_id(order), problem="MISSING_ITEM", text="x"
    )

    assert second["errors"] == []
    assert second["entry"]["order"] == {"number": str(order.number)}
    (conversation,) = Conversation.objects.all()
    assert [
        (m.problem, m.order_id) for m in conversation.messages.order_by("sent_at")
    ] == [("damaged", placed_order.pk), ("missing_item", order.pk)]
    assert StaffAlert.objects.filter(kind=AlertKind.PROBLEM_REPORTED).count() == 2


@pytest.mark.parametrize(
    ("client_name", "by", "is_allowed"),
    [
        # by the order's ID: only the customer who placed it
        ("user_api_client", "id", True),
        ("api_client", "id", False),
        ("other_customer_api_client", "id", False),
        ("staff_api_client", "id", False),
        ("app_api_client", "id", False),
        # by its token: whoever holds it
        ("api_client", "token", True),
        ("other_customer_api_client", "token", True),
    ],
)
def test_who_may_report(store, placed_order, request, client_name, by, is_allowed):
    client = request.getfixturevalue(client_name)
    variables = (
        {"orderId": _order_id(placed_order)}
        if by == "id"
        else {"orderToken": str(placed_order.pk)}
    )

    content = _report(client, **variables)

    if is_allowed:
        assert content["errors"] == []
        assert ConversationMessage.objects.count() == 1
        assert StaffAlert.objects.count() == 1
    else:
        assert content == {"entry": None, "errors": _not_found_by_id(placed_order)}
        assert ConversationMessage.objects.count() == 0
        assert StaffAlert.objects.count() == 0


def test_a_staff_member_with_manage_orders_does_not_report_for_the_customer(
    store, placed_order, staff_api_client, permission_manage_orders
):
    staff_api_client.user.user_permissions.add(permission_manage_orders)

    content = _report(staff_api_client, orderId=_order_id(placed_order))

    assert content["errors"] == _not_found_by_id(placed_order)
    assert ConversationMessage.objects.count() == 0


@pytest.mark.parametrize(
    ("variables", "errors"),
    [
        (
            {},
            [
                {
                    "field": "orderId",
                    "code": "REQUIRED",
                    "message": "Give either orderId (signed in) or orderToken, not "
                    "both.",
                }
            ],
        ),
        (
            {"orderToken": "0b0b0b0b-0000-4000-8000-000000000000"},
            [
                {
                    "field": "orderToken",
                    "code": "NOT_FOUND",
                    "message": "No order has this token.",
                }
            ],
        ),
        (
            {"text": "   "},
            [
                {
                    "field": "text",
                    "code": "INVALID",
                    "message": "required, a non-empty text.",
                }
            ],
        ),
        (
            {"text": "x" * 5001},
            [
                {
                    "field": "text",
                    "code": "INVALID",
                    "message": "has 5,001 characters; at most 5,000.",
                }
            ],
        ),
    ],
)
def test_a_wrong_report_names_its_field_and_files_nothing(
    store, placed_order, user_api_client, variables, errors
):
    if "orderToken" not in variables and variables != {}:
        variables = {"orderId": _order_id(placed_order), **variables}

    content = _report(user_api_client, **variables)

    assert content == {"entry": None, "errors": errors}
    assert ConversationMessage.objects.count() == 0
    assert StaffAlert.objects.count() == 0


def test_a_draft_order_is_not_found(store, placed_order, api_client):
    placed_order.status = OrderStatus.DRAFT
    placed_order.save(update_fields=["status"])

    content = _report(api_client, orderToken=str(placed_order.pk))

    assert content["errors"][0]["code"] == "NOT_FOUND"
    assert ConversationMessage.objects.count() == 0


def test_reports_are_refused_where_the_plugin_is_off(
    plugin_configuration, placed_order, user_api_client
):
    plugin_configuration(active=False)

    content = _report(user_api_client, orderId=_order_id(placed_order))

    assert content["errors"] == [
        {
            "field": "orderId",
            "code": "NOT_ACTIVE",
            "message": "The store takes no problem reports in this channel.",
        }
    ]
    assert ConversationMessage.objects.count() == 0


def test_an_order_takes_five_reports_a_day(store, placed_order, api_client):
    token = str(placed_order.pk)
    answers = [_report(api_client, orderToken=token) for _ in range(6)]

    assert [answer["errors"] for answer in answers[:5]] == [[]] * 5
    assert answers[5]["errors"] == [
        {
            "field": "orderToken",
            "code": "TOO_MANY_REPORTS",
            "message": "The order has 5 reports in the last 24 hours; the store will "
            "answer them. Write again tomorrow.",
        }
    ]
    assert ConversationMessage.objects.count() == 5
    assert StaffAlert.objects.count() == 5
    assert (
        ServiceHistoryEntry.objects.filter(
            type=EntryType.MESSAGE, actor=Actor.CUSTOMER
        ).count()
        == 5
    )
