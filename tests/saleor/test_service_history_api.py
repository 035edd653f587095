"""Service history through Saleor's /graphql/ endpoint, as every kind of caller."""

from datetime import timedelta

import graphene
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from saleor.graphql.tests.utils import assert_no_permission, get_graphql_content

from saleor_cs_plugin.domain.history import Actor, ContactChannel, EntryType
from saleor_cs_plugin.models import ServiceHistoryEntry

pytestmark = pytest.mark.django_db

LOG_CONTACT = """
mutation Log($input: ServiceContactLogInput!) {
  serviceContactLog(input: $input) {
    entry {
      id type contactChannel actor message details isCustomerVisible
      isResolvedAtFirstContact customerEmail
      order { number }
      actingUser { email }
    }
    errors { field message code }
  }
}
"""

ME_HISTORY = """
query MyHistory($first: Int, $filter: ServiceHistoryFilterInput, $after: String) {
  me {
    serviceHistory(first: $first, filter: $filter, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id type message contactChannel createdAt order { number } } }
    }
  }
}
"""

USER_HISTORY = """
query UserHistory($id: ID!) {
  user(id: $id) {
    serviceHistory(first: 20) { edges { node { id message isCustomerVisible } } }
  }
}
"""

ORDER_HISTORY = """
query OrderHistory($id: ID!) {
  order(id: $id) {
    serviceHistory(first: 20) { edges { node { id message isCustomerVisible } } }
  }
}
"""

MY_ORDERS_HISTORY = """
query {
  me { orders(first: 5) { edges { node {
    serviceHistory(first: 20) { edges { node { message } } }
  } } } }
}
"""


def _gid(type_name, pk):
    return graphene.Node.to_global_id(type_name, pk)


def _entry(user, message, *, visible, order=None, created_at=None, type=None):
    entry = ServiceHistoryEntry(
        type=type or EntryType.CONTACT,
        user=user,
        customer_email=user.email,
        order=order,
        contact_channel=ContactChannel.PHONE,
        actor=Actor.STAFF,
        is_customer_visible=visible,
        message=message,
    )
    if created_at is not None:
        entry.created_at = created_at
    entry.save()
    return entry


def _messages(connection_data):
    return [edge["node"]["message"] for edge in connection_data["edges"]]


def test_phone_call_logged_by_staff_reaches_only_its_customer(
    staff_api_client,
    permission_manage_users,
    user_api_client,
    other_customer_api_client,
    customer_user,
):
    # given staff log one customer-visible call and one staff-only call
    staff_api_client.user.user_permissions.add(permission_manage_users)
    visible_summary = "Called about the late parcel; promised a call back by Friday."
    internal_summary = "Customer sounded upset; consider a goodwill voucher."
    for summary, visible in [(visible_summary, True), (internal_summary, False)]:
        content = get_graphql_content(
            staff_api_client.post_graphql(
                LOG_CONTACT,
                {
                    "input": {
                        "customer": _gid("User", customer_user.pk),
                        "contactChannel": ContactChannel.PHONE.name,
                        "summary": summary,
                        "isResolvedAtFirstContact": False,
                        "isCustomerVisible": visible,
                    }
                },
            )
        )
        data = content["data"]["serviceContactLog"]
        assert data["errors"] == []
        assert data["entry"]["type"] == EntryType.CONTACT.name
        assert data["entry"]["actor"] == Actor.STAFF.name
        assert data["entry"]["actingUser"] == {"email": staff_api_client.user.email}
        assert data["entry"]["customerEmail"] == customer_user.email

    # when the customer and another customer read their history
    mine = get_graphql_content(user_api_client.post_graphql(ME_HISTORY, {"first": 20}))
    theirs = get_graphql_content(
        other_customer_api_client.post_graphql(ME_HISTORY, {"first": 20})
    )

    # then
    history = mine["data"]["me"]["serviceHistory"]
    assert _messages(history) == [visible_summary]
    assert history["totalCount"] == 1
    assert history["edges"][0]["node"]["contactChannel"] == ContactChannel.PHONE.name
    assert theirs["data"]["me"]["serviceHistory"]["edges"] == []
    assert ServiceHistoryEntry.objects.filter(user=customer_user).count() == 2


@pytest.mark.parametrize(
    ("client_name", "permission_name", "expected"),
    [
        ("api_client", None, "denied"),
        ("other_customer_api_client", None, "denied"),
        ("staff_api_client", None, "denied"),
        ("staff_api_client", "permission_manage_orders", "denied"),
        ("staff_api_client", "permission_manage_users", "all"),
        ("app_api_client", None, "denied"),
        ("app_api_client", "permission_manage_users", "all"),
    ],
)
def test_user_service_history_permissions(
    caller, customer_user, client_name, permission_name, expected
):
    # given
    _entry(customer_user, "visible", visible=True)
    _entry(customer_user, "internal", visible=False)
    client = caller(client_name, permission_name)

    # when
    response = client.post_graphql(USER_HISTORY, {"id": _gid("User", customer_user.pk)})

    # then
    if expected == "denied":
        assert_no_permission(response)
        assert len(response.json()["errors"]) == 1
    else:
        content = get_graphql_content(response)
        assert sorted(_messages(content["data"]["user"]["serviceHistory"])) == [
            "internal",
            "visible",
        ]


def test_customer_cannot_see_which_staff_member_acted(
    user_api_client, customer_user, staff_user
):
    entry = _entry(customer_user, "We called you back.", visible=True)
    ServiceHistoryEntry.objects.filter(pk=entry.pk).update(acting_user=staff_user)
    query = "query { me { serviceHistory(first: 5) { edges { node { message actingUser { email } } } } } }"

    response = user_api_client.post_graphql(query)

    assert_no_permission(response)
    content = response.json()
    assert len(content["errors"]) == 1
    assert content["errors"][0]["path"] == [
        "me",
        "serviceHistory",
        "edges",
        0,
        "node",
        "actingUser",
    ]


def test_staff_restricted_to_other_channels_see_the_entry_but_not_the_order(
    staff_in_group, permission_manage_users, customer_user, order, channel_PLN
):
    # given an entry about a USD order, read by staff of the PLN channel only
    _entry(customer_user, "Called about the order.", visible=True, order=order)
    staff_api_client = staff_in_group(permission_manage_users, channels=[channel_PLN])
    query = (
        "query($id: ID!) { user(id: $id) { serviceHistory(first: 5) "
        "{ edges { node { message order { number } } } } } }"
    )

    content = get_graphql_content(
        staff_api_client.post_graphql(query, {"id": _gid("User", customer_user.pk)})
    )

    (edge,) = content["data"]["user"]["serviceHistory"]["edges"]
    assert edge["node"] == {"message": "Called about the order.", "order": None}


def test_customer_sees_only_visible_entries_of_own_order(
    user_api_client, customer_user, order
):
    _entry(customer_user, "Your parcel left our warehouse.", visible=True, order=order)
    _entry(customer_user, "Carrier blamed; internal.", visible=False, order=order)

    content = get_graphql_content(user_api_client.post_graphql(MY_ORDERS_HISTORY))

    (edge,) = content["data"]["me"]["orders"]["edges"]
    assert _messages(edge["node"]["serviceHistory"]) == [
        "Your parcel left our warehouse."
    ]


def test_entries_of_a_guest_order_join_the_history_once_the_order_is_the_customer_s(
    user_api_client, other_customer_api_client, customer_user, order
):
    # given: a notice recorded while the order was a guest order
    order.user = None
    order.save(update_fields=["user"])
    ServiceHistoryEntry.objects.create(
        type=EntryType.NOTICE_SENT,
        user=None,
        customer_email=customer_user.email,
        order=order,
        contact_channel=ContactChannel.EMAIL,
        actor=Actor.PLUGIN,
        is_customer_visible=True,
        message="Your order is running late",
    )
    before = get_graphql_content(user_api_client.post_graphql(ME_HISTORY, {"first": 5}))

    # when: Saleor links the order to the customer's account
    order.user = customer_user
    order.save(update_fields=["user"])

    # then the customer reads it, and nobody else does
    content = get_graphql_content(
        user_api_client.post_graphql(ME_HISTORY, {"first": 5})
    )
    other = get_graphql_content(
        other_customer_api_client.post_graphql(ME_HISTORY, {"first": 5})
    )
    assert _messages(before["data"]["me"]["serviceHistory"]) == []
    assert _messages(content["data"]["me"]["serviceHistory"]) == [
        "Your order is running late"
    ]
    assert _messages(other["data"]["me"]["serviceHistory"]) == []


@pytest.mark.parametrize(
    ("client_name", "permission_name", "expected"),
    [
        ("api_client", None, "denied"),
        ("other_customer_api_client", None, "denied"),
        ("user_api_client", None, ["visible"]),
        ("staff_api_client", None, "denied"),
        ("staff_api_client", "permission_manage_users", "denied"),
        ("staff_api_client", "permission_manage_orders", ["internal", "visible"]),
        ("app_api_client", None, "denied"),
        ("app_api_client", "permission_manage_orders", ["internal", "visible"]),
    ],
)
def test_order_service_history_permissions(
    caller, customer_user, order, client_name, permission_name, expected
):
    # given
    _entry(customer_user, "visible", visible=True, order=order)
    _entry(customer_user, "internal", visible=False, order=order)
    client = caller(client_name, permission_name)

    # when
    response = client.post_graphql(ORDER_HISTORY, {"id": _gid("Order", order.pk)})

    # then
    if expected == "denied":
        # Saleor serves order(id:) to anybody holding the order's ID; the history
        # stays closed to all but the customer and order staff.
        assert_no_permission(response)
        content = response.json()
        assert len(content["errors"]) == 1
        assert content["errors"][0]["path"] == ["order", "serviceHistory"]
        assert content["data"]["order"] == {"serviceHistory": None}
    else:
        content = get_graphql_content(response)
        messages = _messages(content["data"]["order"]["serviceHistory"])
        assert sorted(messages) == expected


def test_history_is_newest_first_and_paginates(user_api_client, customer_user):
    now = timezone.now()
    for days_ago in [3, 1, 2]:
        _entry(
            customer_user,
            f"{days_ago} days ago",
            visible=True,
            created_at=now - timedelta(days=days_ago),
        )

    first = get_graphql_content(user_api_client.post_graphql(ME_HISTORY, {"first": 2}))
    page = first["data"]["me"]["serviceHistory"]
    second = get_graphql_content(
        user_api_client.post_graphql(
            ME_HISTORY, {"first": 2, "after": page["pageInfo"]["endCursor"]}
        )
    )

    assert _messages(page) == ["1 days ago", "2 days ago"]
    assert page["pageInfo"]["hasNextPage"] is True
    assert _messages(second["data"]["me"]["serviceHistory"]) == ["3 days ago"]


def test_history_filters_by_type_and_date_range(user_api_client, customer_user):
    now = timezone.now()
    _entry(customer_user, "old call", visible=True, created_at=now - timedelta(days=10))
    _entry(
        customer_user, "recent call", visible=True, created_at=now - timedelta(days=1)
    )
    _entry(
        customer_user,
        "recent notice",
        visible=True,
        created_at=now - timedelta(days=1),
        type=EntryType.NOTICE_SENT,
    )

    content = get_graphql_content(
        user_api_client.post_graphql(
            ME_HISTORY,
            {
                "first": 10,
                "filter": {
                    "types": [EntryType.CONTACT.name],
                    "createdAt": {"gte": (now - timedelta(days=2)).isoformat()},
                },
            },
        )
    )

    assert _messages(content["data"]["me"]["serviceHistory"]) == ["recent call"]


def test_reversed_date_range_is_explained(user_api_client, customer_user):
    now = timezone.now()

    response = user_api_client.post_graphql(
        ME_HISTORY,
        {
            "first": 10,
            "filter": {
                "createdAt": {
                    "gte": now.isoformat(),
                    "lte": (now - timedelta(days=1)).isoformat(),
                }
            },
        },
    )

    content = response.json()
    assert len(content["errors"]) == 1
    assert content["errors"][0]["message"] == (
        "filter.createdAt: The range starts after it ends: 'gte' must not be later "
        "than 'lte'."
    )


def test_history_query_count_does_not_grow_with_entries(
    user_api_client, customer_user, order
):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            get_graphql_content(user_api_client.post_graphql(ME_HISTORY, {"first": 50}))
        return len(queries)

    for number in range(3):
        _entry(customer_user, f"entry {number}", visible=True, order=order)
    user_api_client.post_graphql(ME_HISTORY, {"first": 50})  # warm caches
    few = count_queries()

    for number in range(40):
        _entry(customer_user, f"more {number}", visible=True, order=order)
    many = count_queries()

    assert many == few


@pytest.mark.parametrize(
    ("input_overrides", "field", "code", "message"),
    [
        (
            {"summary": "   "},
            "summary",
            "REQUIRED",
            "Describe the contact in a few words.",
        ),
        (
            {"contactChannel": ContactChannel.SYSTEM.name},
            "contactChannel",
            "INVALID",
            "A logged contact uses one of: CHAT, EMAIL, PHONE, SMS, SOCIAL, WEB.",
        ),
        (
            {"customer": None},
            "customer",
            "REQUIRED",
            "Give the customer (customer or customerEmail), the order, or both.",
        ),
        (
            {"customer": None, "customerEmail": "not-an-address"},
            "customerEmail",
            "INVALID",
            "'not-an-address' is not an e-mail address.",
        ),
        (
            {"socialNetwork": "Twitter"},
            "socialNetwork",
            "INVALID",
            "A social network is given only for contactChannel SOCIAL.",
        ),
    ],
)
def test_bad_contact_log_is_rejected_and_nothing_is_recorded(
    staff_api_client,
    permission_manage_users,
    customer_user,
    input_overrides,
    field,
    code,
    message,
):
    staff_api_client.user.user_permissions.add(permission_manage_users)
    contact = {
        "customer": _gid("User", customer_user.pk),
        "contactChannel": ContactChannel.PHONE.name,
        "summary": "Asked about sizes.",
        "isResolvedAtFirstContact": True,
        "isCustomerVisible": True,
        **input_overrides,
    }

    content = get_graphql_content(
        staff_api_client.post_graphql(LOG_CONTACT, {"input": contact})
    )

    data = content["data"]["serviceContactLog"]
    assert data["entry"] is None
    assert data["errors"] == [{"field": field, "message": message, "code": code}]
    assert ServiceHistoryEntry.objects.exists() is False


def test_contact_about_another_customers_order_is_rejected(
    staff_in_group,
    permission_manage_users,
    permission_manage_orders,
    customer_user2,
    order,
):
    staff_api_client = staff_in_group(permission_manage_users, permission_manage_orders)

    content = get_graphql_content(
        staff_api_client.post_graphql(
            LOG_CONTACT,
            {
                "input": {
                    "customer": _gid("User", customer_user2.pk),
                    "order": _gid("Order", order.pk),
                    "contactChannel": ContactChannel.CHAT.name,
                    "summary": "Asked where the order is.",
                    "isResolvedAtFirstContact": True,
                    "isCustomerVisible": True,
                }
            },
        )
    )

    data = content["data"]["serviceContactLog"]
    assert data["errors"] == [
        {
            "field": "order",
            "message": "This order belongs to another customer.",
            "code": "INVALID",
        }
    ]
    assert ServiceHistoryEntry.objects.exists() is False


def test_social_contact_by_guest_email_about_an_order(
    app_api_client, permission_manage_users, permission_manage_orders, order
):
    # given a guest's order and an app (e.g. a social-media inbox) with both permissions
    order.user = None
    order.user_email = "guest@example.com"
    order.save(update_fields=["user", "user_email"])
    app_api_client.app.permissions.add(
        permission_manage_users, permission_manage_orders
    )

    content = get_graphql_content(
        app_api_client.post_graphql(
            LOG_CONTACT,
            {
                "input": {
                    "customerEmail": " Guest@Example.com ",
                    "order": _gid("Order", order.pk),
                    "contactChannel": ContactChannel.SOCIAL.name,
                    "socialNetwork": "Facebook",
                    "summary": "Asked on Facebook whether gift wrap is possible.",
                    "isResolvedAtFirstContact": True,
                    "isCustomerVisible": False,
                }
            },
        )
    )

    entry = content["data"]["serviceContactLog"]["entry"]
    assert entry["customerEmail"] == "guest@example.com"
    assert entry["details"] == {"socialNetwork": "Facebook"}
    assert entry["order"] == {"number": str(order.number)}
    assert entry["actor"] == Actor.APP.name
    assert entry["isResolvedAtFirstContact"] is True
    saved = ServiceHistoryEntry.objects.get()
    assert saved.acting_app == app_api_client.app
    assert saved.acting_user is None
    assert saved.user is None


@pytest.mark.parametrize(
    "customer_input",
    [
        {"customerEmail": "someone.else@example.com"},
        {"customer": "other_customer"},
    ],
)
def test_contact_about_an_order_of_someone_else_is_rejected(
    staff_in_group,
    permission_manage_users,
    permission_manage_orders,
    customer_user2,
    order,
    customer_input,
):
    # given the order of customer_user, and another person named as the customer
    staff_api_client = staff_in_group(permission_manage_users, permission_manage_orders)
    if customer_input.get("customer") == "other_customer":
        customer_input = {"customer": _gid("User", customer_user2.pk)}

    content = get_graphql_content(
        staff_api_client.post_graphql(
            LOG_CONTACT,
            {
                "input": {
                    **customer_input,
                    "order": _gid("Order", order.pk),
                    "contactChannel": ContactChannel.EMAIL.name,
                    "summary": "Asked about a parcel.",
                    "isResolvedAtFirstContact": True,
                    "isCustomerVisible": True,
                }
            },
        )
    )

    assert content["data"]["serviceContactLog"]["errors"] == [
        {
            "field": "order",
            "message": "This order belongs to another customer.",
            "code": "INVALID",
        }
    ]
    assert ServiceHistoryEntry.objects.exists() is False


def test_staff_restricted_to_other_channels_cannot_log_about_an_order(
    staff_in_group, permission_manage_orders, order, channel_PLN
):
    staff_api_client = staff_in_group(permission_manage_orders, channels=[channel_PLN])

    response = staff_api_client.post_graphql(
        LOG_CONTACT,
        {
            "input": {
                "order": _gid("Order", order.pk),
                "contactChannel": ContactChannel.PHONE.name,
                "summary": "Asked about the order.",
                "isResolvedAtFirstContact": True,
                "isCustomerVisible": False,
            }
        },
    )

    assert_no_permission(response)
    assert ServiceHistoryEntry.objects.exists() is False


@pytest.mark.parametrize(
    ("client_name", "permission_name"),
    [
        ("api_client", None),
        ("user_api_client", None),
        ("staff_api_client", None),
        ("staff_api_client", "permission_manage_orders"),
        ("app_api_client", None),
    ],
)
def test_contact_log_about_a_customer_needs_manage_users(
    caller, customer_user, client_name, permission_name
):
    client = caller(client_name, permission_name)

    response = client.post_graphql(
        LOG_CONTACT,
        {
            "input": {
                "customer": _gid("User", customer_user.pk),
                "contactChannel": ContactChannel.EMAIL.name,
                "summary": "Wrote about a refund.",
                "isResolvedAtFirstContact": False,
                "isCustomerVisible": True,
            }
        },
    )

    assert_no_permission(response)
    assert ServiceHistoryEntry.objects.exists() is False
