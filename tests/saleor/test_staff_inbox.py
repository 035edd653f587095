"""The staff inbox through /graphql/: listing, filters and pages, who reads and closes
which alerts, marking one done, alerts raised once per open cause, the promoted-code
check's alerts in the inbox, and the copy of older history alerts into it."""

import importlib
import json
from datetime import UTC, datetime, timedelta

import graphene
import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from freezegun import freeze_time
from prices import Money
from saleor.discount.models import Voucher, VoucherChannelListing, VoucherCode
from saleor.graphql.tests.utils import assert_no_permission, get_graphql_content
from storefront import signed_in_now

from saleor_cs_plugin import staff_alerts, tasks
from saleor_cs_plugin.domain.alerts import AlertKind
from saleor_cs_plugin.domain.history import Actor, ContactChannel, EntryType
from saleor_cs_plugin.models import (
    Notice,
    PromotedCode,
    ServiceHistoryEntry,
    StaffAlert,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2030, 3, 4, 10, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)

NODE = """
  id kind title message details occurrences createdAt lastSeenAt isOpen resolvedAt
  channel { slug } order { id } resolvedBy { email } resolvedByApp { name }
"""

ALERTS = f"""
query Inbox($filter: ServiceStaffAlertFilterInput, $first: Int, $after: String,
            $last: Int, $before: String) {{
  serviceStaffAlerts(filter: $filter, first: $first, after: $after, last: $last,
                     before: $before) {{
    totalCount
    pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
    edges {{ node {{ {NODE} }} }}
  }}
}}
"""

TITLES = """
query Inbox($filter: ServiceStaffAlertFilterInput) {
  serviceStaffAlerts(first: 20, filter: $filter) {
    totalCount
    edges { node { title } }
  }
}
"""

RESOLVE = f"""
mutation Resolve($id: ID!) {{
  serviceStaffAlertResolve(id: $id) {{
    alert {{ {NODE} }}
    errors {{ field code message }}
  }}
}}
"""


def _raise(
    title,
    *,
    kind=AlertKind.PROMOTED_CODE,
    channel=None,
    at=NOW,
    cause=None,
    order=None,
    details=None,
):
    return staff_alerts.raise_alert(
        kind=kind,
        cause_key=cause or f"test:{title}",
        title=title,
        message=f"{title}: what to do.",
        details=details if details is not None else {"title": title},
        channel_id=channel.pk if channel else None,
        order_id=order.pk if order else None,
        now=at,
    )


def _global_id(alert_id):
    return graphene.Node.to_global_id("ServiceStaffAlert", alert_id)


def _titles(client, filter_input=None):
    content = get_graphql_content(
        signed_in_now(client).post_graphql(TITLES, {"filter": filter_input})
    )
    data = content["data"]["serviceStaffAlerts"]
    titles = [edge["node"]["title"] for edge in data["edges"]]
    assert data["totalCount"] == len(titles)
    return titles


def _resolve(client, alert_id):
    content = get_graphql_content(
        signed_in_now(client).post_graphql(RESOLVE, {"id": _global_id(alert_id)})
    )
    return content["data"]["serviceStaffAlertResolve"]


@pytest.fixture
def everything(
    staff_in_group,
    permission_manage_discounts,
    permission_manage_orders,
    permission_manage_plugins,
):
    """Staff of an unrestricted group holding all three permissions of the inbox."""
    return staff_in_group(
        permission_manage_discounts, permission_manage_orders, permission_manage_plugins
    )


# The kinds the listing tests raise, one permission each (survey call backs share
# MANAGE_ORDERS with shortage choices; see test_survey_call_backs_need_manage_orders).
INBOX_KINDS = (
    AlertKind.PROMOTED_CODE,
    AlertKind.SHORTAGE_CHOICE,
    AlertKind.NOTICE_DELIVERY,
)


@pytest.fixture
def inbox(channel_USD, channel_PLN):
    """One alert of each kind in each channel, and one of each kind in no channel,
    a minute apart: "<kind> <channel slug or none>"."""
    raised = {}
    at = NOW
    for channel in [channel_USD, channel_PLN, None]:
        for kind in INBOX_KINDS:
            title = f"{kind} {channel.slug if channel else 'none'}"
            raised[title] = _raise(title, kind=kind, channel=channel, at=at).alert_id
            at += MINUTE
    return raised


# Listing -------------------------------------------------------------------------


def test_the_inbox_lists_alerts_newest_first_with_their_fields(everything, channel_USD):
    # given
    older = _raise("Older", channel=channel_USD, at=NOW).alert_id
    newer = _raise(
        "Newer",
        kind=AlertKind.NOTICE_DELIVERY,
        at=NOW + MINUTE,
        details={"transport": "smtp", "failures": 3},
    ).alert_id

    # when
    content = get_graphql_content(everything.post_graphql(ALERTS, {"first": 10}))

    # then
    data = content["data"]["serviceStaffAlerts"]
    assert data["totalCount"] == 2
    nodes = [edge["node"] for edge in data["edges"]]
    for node in nodes:
        node["details"] = json.loads(node["details"])
    assert nodes == [
        {
            "id": _global_id(newer),
            "kind": "NOTICE_DELIVERY",
            "title": "Newer",
            "message": "Newer: what to do.",
            "details": {"transport": "smtp", "failures": 3},
            "occurrences": 1,
            "createdAt": "2030-03-04T10:01:00+00:00",
            "lastSeenAt": "2030-03-04T10:01:00+00:00",
            "isOpen": True,
            "resolvedAt": None,
            "channel": None,
            "order": None,
            "resolvedBy": None,
            "resolvedByApp": None,
        },
        {
            "id": _global_id(older),
            "kind": "PROMOTED_CODE",
            "title": "Older",
            "message": "Older: what to do.",
            "details": {"title": "Older"},
            "occurrences": 1,
            "createdAt": "2030-03-04T10:00:00+00:00",
            "lastSeenAt": "2030-03-04T10:00:00+00:00",
            "isOpen": True,
            "resolvedAt": None,
            "channel": {"slug": "main"},
            "order": None,
            "resolvedBy": None,
            "resolvedByApp": None,
        },
    ]


def test_the_inbox_filters_by_kind(everything, inbox):
    assert _titles(everything, {"kinds": ["SHORTAGE_CHOICE", "NOTICE_DELIVERY"]}) == [
        "notice_delivery none",
        "shortage_choice none",
        "notice_delivery c-pln",
        "shortage_choice c-pln",
        "notice_delivery main",
        "shortage_choice main",
    ]


def test_the_inbox_filters_open_and_done_alerts(everything, inbox):
    staff_alerts.resolve(inbox["promoted_code main"], now=NOW + MINUTE)
    staff_alerts.resolve(inbox["shortage_choice none"], now=NOW + MINUTE)

    done = _titles(everything, {"isOpen": False})
    still_open = _titles(everything, {"isOpen": True})

    assert done == ["shortage_choice none", "promoted_code main"]
    assert len(still_open) == 7
    assert set(still_open) == set(inbox) - set(done)


def test_the_inbox_filters_by_channel(everything, inbox):
    assert _titles(everything, {"channels": ["c-pln"]}) == [
        "notice_delivery c-pln",
        "shortage_choice c-pln",
        "promoted_code c-pln",
    ]
    assert len(_titles(everything, {"channels": ["main", "c-pln"]})) == 6
    assert _titles(everything, {"channels": ["no-such-channel"]}) == []


def test_the_inbox_filters_by_period(everything, inbox):
    # The alerts were raised a minute apart from NOW on; both ends are included.
    titles = _titles(
        everything,
        {
            "createdAt": {
                "gte": (NOW + 2 * MINUTE).isoformat(),
                "lte": (NOW + 4 * MINUTE).isoformat(),
            }
        },
    )
    since = _titles(everything, {"createdAt": {"gte": (NOW + 7 * MINUTE).isoformat()}})
    until = _titles(everything, {"createdAt": {"lte": NOW.isoformat()}})

    assert titles == [
        "shortage_choice c-pln",
        "promoted_code c-pln",
        "notice_delivery main",
    ]
    assert since == ["notice_delivery none", "shortage_choice none"]
    assert until == ["promoted_code main"]


def test_a_period_that_ends_before_it_starts_is_an_error(everything, inbox):
    content = everything.post_graphql(
        TITLES,
        {
            "filter": {
                "createdAt": {"gte": NOW.isoformat(), "lte": (NOW - MINUTE).isoformat()}
            }
        },
    ).json()

    assert content["data"]["serviceStaffAlerts"] is None
    assert content["errors"][0]["message"] == (
        "filter.createdAt: The range starts after it ends: 'gte' must not be later "
        "than 'lte'."
    )


def test_the_inbox_pages_forwards_and_backwards(everything, inbox):
    def page(**arguments):
        content = get_graphql_content(everything.post_graphql(ALERTS, arguments))
        data = content["data"]["serviceStaffAlerts"]
        return [edge["node"]["title"] for edge in data["edges"]], data["pageInfo"]

    first, first_info = page(first=4)
    second, second_info = page(first=4, after=first_info["endCursor"])
    third, third_info = page(first=4, after=second_info["endCursor"])
    before, _ = page(last=2, before=second_info["startCursor"])

    assert first == [
        "notice_delivery none",
        "shortage_choice none",
        "promoted_code none",
        "notice_delivery c-pln",
    ]
    assert (first_info["hasNextPage"], first_info["hasPreviousPage"]) == (True, False)
    assert second == [
        "shortage_choice c-pln",
        "promoted_code c-pln",
        "notice_delivery main",
        "shortage_choice main",
    ]
    assert (second_info["hasNextPage"], second_info["hasPreviousPage"]) == (True, True)
    assert third == ["promoted_code main"]
    assert third_info["hasNextPage"] is False
    assert before == ["promoted_code none", "notice_delivery c-pln"]


def test_the_number_of_queries_does_not_grow_with_the_page(
    everything, staff_user, order, channel_USD, channel_PLN
):
    def queries_for_page():
        with CaptureQueriesContext(connection) as queries:
            content = get_graphql_content(
                everything.post_graphql(ALERTS, {"first": 20})
            )
        return len(content["data"]["serviceStaffAlerts"]["edges"]), len(queries)

    def raise_some(start):
        for number in range(start, start + 3):
            raised = _raise(
                f"Alert {number}",
                kind=AlertKind.SHORTAGE_CHOICE,
                channel=channel_USD if number % 2 else channel_PLN,
                order=order,
                at=NOW + number * MINUTE,
            )
            staff_alerts.resolve(raised.alert_id, now=NOW, user=staff_user)

    raise_some(0)
    # The first request of a test reads what Saleor caches for later ones.
    queries_for_page()
    three, queries_for_three = queries_for_page()
    raise_some(3)

    six, queries_for_six = queries_for_page()

    assert (three, six) == (3, 6)
    assert queries_for_six == queries_for_three


# Who reads which alerts ---------------------------------------------------------


@pytest.mark.parametrize(
    ("client_name", "permission_name"),
    [
        ("api_client", None),
        ("user_api_client", None),
        ("staff_api_client", None),
        ("staff_api_client", "permission_manage_users"),
        ("app_api_client", None),
        ("app_api_client", "permission_manage_products"),
    ],
)
def test_the_inbox_needs_one_of_its_permissions(
    caller, inbox, client_name, permission_name
):
    client = caller(client_name, permission_name)

    response = client.post_graphql(ALERTS, {"first": 10})

    assert_no_permission(response)
    assert response.json()["errors"][0]["message"] == (
        "To access this path, you need one of the following permissions: "
        "MANAGE_DISCOUNTS, MANAGE_ORDERS, MANAGE_PLUGINS"
    )


@pytest.mark.parametrize(
    ("permission_name", "kind"),
    [
        ("permission_manage_discounts", "promoted_code"),
        ("permission_manage_orders", "shortage_choice"),
        ("permission_manage_plugins", "notice_delivery"),
    ],
)
def test_staff_see_the_alerts_of_their_permission_in_every_channel(
    request, staff_in_group, inbox, permission_name, kind
):
    client = staff_in_group(request.getfixturevalue(permission_name))

    assert _titles(client) == [f"{kind} none", f"{kind} c-pln", f"{kind} main"]


@pytest.mark.parametrize(
    ("permission_name", "titles"),
    [
        ("permission_manage_orders", ["Call back", "Shortage"]),
        ("permission_manage_discounts", ["Code"]),
        ("permission_manage_plugins", []),
    ],
)
def test_survey_call_backs_need_manage_orders(
    request, staff_in_group, channel_USD, permission_name, titles
):
    # given
    _raise("Code", kind=AlertKind.PROMOTED_CODE, channel=channel_USD, at=NOW)
    _raise("Shortage", kind=AlertKind.SHORTAGE_CHOICE, channel=channel_USD, at=NOW)
    _raise(
        "Call back",
        kind=AlertKind.SURVEY_CALL_BACK,
        channel=channel_USD,
        at=NOW + MINUTE,
    )
    client = staff_in_group(request.getfixturevalue(permission_name))

    # when / then
    assert sorted(_titles(client)) == sorted(titles)


def test_staff_restricted_to_a_channel_see_its_alerts_only(
    staff_in_group,
    permission_manage_discounts,
    permission_manage_orders,
    inbox,
    channel_PLN,
):
    client = staff_in_group(
        permission_manage_discounts, permission_manage_orders, channels=[channel_PLN]
    )

    assert _titles(client) == ["shortage_choice c-pln", "promoted_code c-pln"]
    assert _titles(client, {"channels": ["main"]}) == []


def test_staff_of_a_group_restricted_to_no_channel_see_nothing(
    staff_in_group, permission_manage_orders, inbox
):
    client = staff_in_group(permission_manage_orders, channels=[])

    assert _titles(client) == []


def test_one_unrestricted_group_lifts_the_restriction(
    staff_in_group,
    permission_manage_orders,
    permission_manage_users,
    inbox,
    channel_PLN,
):
    # given a group restricted to PLN with the permission, and an unrestricted one
    staff_in_group(permission_manage_orders, channels=[channel_PLN])
    client = staff_in_group(permission_manage_users)

    assert _titles(client) == [
        "shortage_choice none",
        "shortage_choice c-pln",
        "shortage_choice main",
    ]


def test_staff_whose_permission_is_not_from_a_group_reach_no_channel(caller, inbox):
    # As Saleor's order list: channel access comes from permission groups.
    client = caller("staff_api_client", "permission_manage_orders")

    assert _titles(client) == []


def test_apps_see_the_alerts_of_their_permissions_in_every_channel(
    caller, permission_manage_plugins, inbox
):
    client = caller("app_api_client", "permission_manage_orders")
    client.app.permissions.add(permission_manage_plugins)

    assert _titles(client) == [
        "notice_delivery none",
        "shortage_choice none",
        "notice_delivery c-pln",
        "shortage_choice c-pln",
        "notice_delivery main",
        "shortage_choice main",
    ]


def test_the_order_shows_to_those_who_may_see_orders(
    staff_in_group,
    caller,
    permission_manage_discounts,
    permission_manage_orders,
    order,
    channel_USD,
):
    # given an alert about an order; the order is in the USD channel
    alert_id = _raise(
        "About an order",
        kind=AlertKind.PROMOTED_CODE,
        channel=channel_USD,
        order=order,
    ).alert_id
    query = "query { serviceStaffAlerts(first: 5) { edges { node { order { id } } } } }"
    discounts_only = caller("app_api_client", "permission_manage_discounts")
    staff = staff_in_group(permission_manage_discounts, permission_manage_orders)

    def order_of(client):
        content = get_graphql_content(client.post_graphql(query))
        (edge,) = content["data"]["serviceStaffAlerts"]["edges"]
        return edge["node"]["order"]

    assert order_of(discounts_only) is None
    assert order_of(staff) == {"id": graphene.Node.to_global_id("Order", order.pk)}
    assert StaffAlert.objects.get(pk=alert_id).order_id == order.pk


# Marking an alert done --------------------------------------------------------------


def test_staff_mark_an_alert_done_and_who_and_when_is_recorded(
    staff_in_group, permission_manage_discounts, channel_USD, staff_user
):
    client = staff_in_group(permission_manage_discounts)
    alert_id = _raise("Expired", channel=channel_USD).alert_id
    resolved_at = NOW + 5 * MINUTE

    with freeze_time(resolved_at):
        data = _resolve(client, alert_id)

    assert data["errors"] == []
    assert data["alert"]["isOpen"] is False
    assert data["alert"]["resolvedAt"] == "2030-03-04T10:05:00+00:00"
    assert data["alert"]["resolvedBy"] == {"email": staff_user.email}
    assert data["alert"]["resolvedByApp"] is None
    alert = StaffAlert.objects.get(pk=alert_id)
    assert (alert.resolved_at, alert.resolved_by_user_id, alert.resolved_by_app_id) == (
        resolved_at,
        staff_user.pk,
        None,
    )
    assert _titles(client, {"isOpen": True}) == []
    assert _titles(client, {"isOpen": False}) == ["Expired"]


def test_an_app_marks_an_alert_done(caller, app):
    client = caller("app_api_client", "permission_manage_plugins")
    alert_id = _raise("Notices fail", kind=AlertKind.NOTICE_DELIVERY).alert_id

    with freeze_time(NOW + MINUTE):
        data = _resolve(client, alert_id)

    assert data["errors"] == []
    assert data["alert"]["resolvedBy"] is None
    assert data["alert"]["resolvedByApp"] == {"name": app.name}
    assert data["alert"]["resolvedAt"] == "2030-03-04T10:01:00+00:00"
    alert = StaffAlert.objects.get(pk=alert_id)
    assert (alert.resolved_at, alert.resolved_by_user_id, alert.resolved_by_app_id) == (
        NOW + MINUTE,
        None,
        app.pk,
    )


def test_who_marked_an_alert_done_shows_as_in_saleors_order_events(
    staff_in_group,
    caller,
    permission_manage_discounts,
    permission_manage_staff,
    staff_user,
):
    # given an alert staff marked done
    alert_id = _raise("Expired").alert_id
    staff_alerts.resolve(alert_id, now=NOW + MINUTE, user=staff_user)
    query = (
        "query { serviceStaffAlerts(first: 5) { edges { node "
        "{ resolvedBy { email } } } } }"
    )

    def resolved_by(client):
        content = get_graphql_content(client.post_graphql(query))
        (edge,) = content["data"]["serviceStaffAlerts"]["edges"]
        return edge["node"]["resolvedBy"]

    app_client = caller("app_api_client", "permission_manage_discounts")
    assert resolved_by(app_client) is None
    app_client.app.permissions.add(permission_manage_staff)
    assert resolved_by(app_client) == {"email": staff_user.email}
    assert resolved_by(staff_in_group(permission_manage_discounts)) == {
        "email": staff_user.email
    }


def test_an_alert_is_marked_done_once(staff_in_group, permission_manage_discounts):
    client = staff_in_group(permission_manage_discounts)
    alert_id = _raise("Expired").alert_id
    with freeze_time(NOW + MINUTE):
        _resolve(client, alert_id)

    with freeze_time(NOW + 2 * MINUTE):
        data = _resolve(client, alert_id)

    assert data == {
        "alert": None,
        "errors": [
            {
                "field": "id",
                "code": "ALREADY_RESOLVED",
                "message": "The alert was already marked done at "
                "2030-03-04T10:01:00+00:00.",
            }
        ],
    }
    assert StaffAlert.objects.get(pk=alert_id).resolved_at == NOW + MINUTE


def test_alerts_outside_the_requestors_reach_are_not_found(
    staff_in_group, permission_manage_orders, channel_USD, channel_PLN
):
    # given staff of PLN orders, an alert of another kind, one of another channel
    client = staff_in_group(permission_manage_orders, channels=[channel_PLN])
    other_kind = _raise("Code", kind=AlertKind.PROMOTED_CODE, channel=channel_PLN)
    other_channel = _raise("USD", kind=AlertKind.SHORTAGE_CHOICE, channel=channel_USD)
    no_channel = _raise("None", kind=AlertKind.SHORTAGE_CHOICE)
    unknown = "00000000-0000-4000-8000-000000000000"

    for alert_id in [
        other_kind.alert_id,
        other_channel.alert_id,
        no_channel.alert_id,
        unknown,
    ]:
        data = _resolve(client, alert_id)

        assert data == {
            "alert": None,
            "errors": [
                {
                    "field": "id",
                    "code": "NOT_FOUND",
                    "message": "No staff alert you may see has the ID "
                    f"'{_global_id(alert_id)}'.",
                }
            ],
        }
    assert StaffAlert.objects.filter(resolved_at__isnull=False).exists() is False


def test_an_id_of_something_else_is_invalid(
    staff_in_group, permission_manage_orders, order
):
    client = staff_in_group(permission_manage_orders)
    order_id = graphene.Node.to_global_id("Order", order.pk)

    content = get_graphql_content(client.post_graphql(RESOLVE, {"id": order_id}))

    assert content["data"]["serviceStaffAlertResolve"]["errors"] == [
        {
            "field": "id",
            "code": "INVALID",
            "message": f"'{order_id}' is not the ID of a staff alert.",
        }
    ]


@pytest.mark.parametrize(
    ("client_name", "permission_name"),
    [
        ("api_client", None),
        ("user_api_client", None),
        ("staff_api_client", None),
        ("staff_api_client", "permission_manage_users"),
        ("app_api_client", None),
    ],
)
def test_marking_done_needs_one_of_the_inbox_permissions(
    caller, client_name, permission_name
):
    client = caller(client_name, permission_name)
    alert_id = _raise("Expired").alert_id

    response = client.post_graphql(RESOLVE, {"id": _global_id(alert_id)})

    assert_no_permission(response)
    assert StaffAlert.objects.get(pk=alert_id).resolved_at is None


# Raised once per open cause --------------------------------------------------------


def test_a_cause_seen_again_while_open_is_another_occurrence(everything, channel_USD):
    first = _raise("Expired", cause="code:1", channel=channel_USD, at=NOW)
    again = staff_alerts.raise_alert(
        kind=AlertKind.PROMOTED_CODE,
        cause_key="code:1",
        title="Expired",
        message="Expired, still.",
        details={"seen": 2},
        channel_id=channel_USD.pk,
        now=NOW + MINUTE,
    )

    content = get_graphql_content(everything.post_graphql(ALERTS, {"first": 10}))

    assert (first.is_new, again.is_new, again.alert_id) == (True, False, first.alert_id)
    (edge,) = content["data"]["serviceStaffAlerts"]["edges"]
    node = edge["node"]
    assert (node["occurrences"], node["createdAt"], node["lastSeenAt"]) == (
        2,
        "2030-03-04T10:00:00+00:00",
        "2030-03-04T10:01:00+00:00",
    )
    assert node["message"] == "Expired, still."
    assert json.loads(node["details"]) == {"seen": 2}


def test_after_an_alert_is_done_its_cause_opens_a_new_one(everything):
    first = _raise("Expired", cause="code:1", at=NOW)
    _resolve(everything, first.alert_id)

    again = _raise("Expired", cause="code:1", at=NOW + MINUTE)

    assert again.is_new is True
    assert again.alert_id != first.alert_id
    content = get_graphql_content(everything.post_graphql(ALERTS, {"first": 10}))
    nodes = [edge["node"] for edge in content["data"]["serviceStaffAlerts"]["edges"]]
    assert [(n["id"], n["isOpen"], n["occurrences"]) for n in nodes] == [
        (_global_id(again.alert_id), True, 1),
        (_global_id(first.alert_id), False, 1),
    ]


# The promoted-code check's alerts ---------------------------------------------------


def test_a_promoted_code_that_stopped_working_is_in_the_inbox_without_a_staff_address(
    plugin_configuration, channel_USD, staff_in_group, permission_manage_discounts
):
    # given no promoted-code staff address, and a promoted code that expired
    plugin_configuration(promoted_code_staff_email="")
    ended = timezone.now() - timedelta(hours=1)
    voucher = Voucher.objects.create(name="SPRING", end_date=ended)
    VoucherCode.objects.create(code="SPRING", voucher=voucher)
    VoucherChannelListing.objects.create(
        voucher=voucher, channel=channel_USD, discount=Money(5, "USD")
    )
    row = PromotedCode.objects.create(
        code="SPRING", channel=channel_USD, placements=["popup"]
    )

    # when beat's sweep runs
    alerted = tasks.sweep_promoted_codes_task()

    # then the alert waits in the inbox, and nobody was e-mailed
    client = staff_in_group(permission_manage_discounts)
    content = get_graphql_content(
        client.post_graphql(ALERTS, {"first": 10, "filter": {"isOpen": True}})
    )
    (edge,) = content["data"]["serviceStaffAlerts"]["edges"]
    node = edge["node"]
    assert alerted == 1
    assert (node["kind"], node["title"], node["channel"], node["occurrences"]) == (
        "PROMOTED_CODE",
        "Promoted code SPRING: expired",
        {"slug": "main"},
        1,
    )
    assert node["message"].startswith("The promoted code SPRING expired on ")
    assert json.loads(node["details"]) == {
        "promotedCodeId": str(row.pk),
        "code": "SPRING",
        "channel": "main",
        "health": "expired",
        "endsAt": ended.isoformat(),
        "remainingUses": None,
    }
    assert Notice.objects.exists() is False
    assert ServiceHistoryEntry.objects.exists() is False


# Older alerts of the service history -----------------------------------------------


def _history_alert(message, *, details, created_at):
    return ServiceHistoryEntry.objects.create(
        type=EntryType.STAFF_ALERT,
        contact_channel=ContactChannel.SYSTEM,
        actor=Actor.PLUGIN,
        is_customer_visible=False,
        message=message,
        details=details,
        created_at=created_at,
    )


def test_the_migration_copies_history_alerts_into_the_inbox_and_back(channel_USD):
    migration = importlib.import_module(
        "saleor_cs_plugin.migrations.0008_staff_alerts_from_history"
    )
    expired = _history_alert(
        "The promoted code SPRING expired on 2030-03-04 09:00 (UTC). Shoppers in the "
        "channel 'main' still see it where it is promoted.",
        details={"code": "SPRING", "channel": "main", "health": "expired"},
        created_at=NOW,
    )
    gone = _history_alert(
        "The promoted code OLD is not available in the channel 'gone'",
        details={"code": "OLD", "channel": "gone", "health": "missing_in_channel"},
        created_at=NOW + MINUTE,
    )
    other = _raise("Raised by the plugin")
    with connection.schema_editor() as schema_editor:
        migration.copy_history_alerts(django_apps, schema_editor)

        copied = list(StaffAlert.objects.filter(cause_key__startswith="history:"))
        assert [
            (
                a.cause_key,
                a.kind,
                a.title,
                a.message,
                a.details,
                a.channel_id,
                a.created_at,
                a.last_seen_at,
                a.occurrences,
                a.resolved_at,
            )
            for a in copied
        ] == [
            (
                f"history:{gone.pk}",
                "promoted_code",
                "The promoted code OLD is not available in the channel 'gone'",
                gone.message,
                gone.details,
                None,
                NOW + MINUTE,
                NOW + MINUTE,
                1,
                None,
            ),
            (
                f"history:{expired.pk}",
                "promoted_code",
                "The promoted code SPRING expired on 2030-03-04 09:00 (UTC).",
                expired.message,
                expired.details,
                channel_USD.pk,
                NOW,
                NOW,
                1,
                None,
            ),
        ]

        # run again, the copies stay as they are
        migration.copy_history_alerts(django_apps, schema_editor)
        assert StaffAlert.objects.filter(cause_key__startswith="history:").count() == 2

        migration.delete_copied_alerts(django_apps, schema_editor)

    assert list(StaffAlert.objects.values_list("pk", flat=True)) == [other.alert_id]
    assert ServiceHistoryEntry.objects.count() == 2


def test_a_long_first_sentence_is_cut_to_a_title():
    migration = importlib.import_module(
        "saleor_cs_plugin.migrations.0008_staff_alerts_from_history"
    )

    title = migration.alert_title("A" * 300 + ". Rest.")

    assert title == "A" * 254 + "…"
    assert migration.alert_title("  Two\nlines. And more.") == "Two lines."


# The schema ---------------------------------------------------------------------------


def test_every_field_and_argument_of_the_inbox_is_described(api_client):
    query = """
    query {
      __schema { types { name description
        fields { name description args { name description } }
        inputFields { name description }
      } }
    }
    """
    content = get_graphql_content(api_client.post_graphql(query))["data"]
    by_name = {t["name"]: t for t in content["__schema"]["types"]}
    names = {
        "ServiceStaffAlert",
        "ServiceStaffAlertFilterInput",
        "ServiceStaffAlertError",
        "ServiceStaffAlertKindEnum",
        "ServiceStaffAlertErrorCode",
        "ServiceStaffAlertResolve",
    }
    types = [by_name[name] for name in sorted(names)]
    roots = [
        f
        for root in ("Query", "Mutation")
        for f in by_name[root]["fields"]
        if f["name"] in {"serviceStaffAlerts", "serviceStaffAlertResolve"}
    ]
    described = [(t["name"], t["description"]) for t in types]
    for t in types:
        for f in (t["fields"] or []) + (t["inputFields"] or []):
            # Saleor adds a mutation's errors field, without a description.
            if (t["name"], f["name"]) == ("ServiceStaffAlertResolve", "errors"):
                continue
            described.append((f"{t['name']}.{f['name']}", f["description"]))
    for f in roots:
        described.append((f["name"], f["description"]))
        described.extend(
            (f"{f['name']}.{a['name']}", a["description"]) for a in f["args"]
        )

    assert len(roots) == 2
    assert [name for name, text in described if not (text or "").endswith(".")] == []
