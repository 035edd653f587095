"""Notices through /graphql/ (staff list and retry, shoppers' preferences), the
operators' command, and the beat entry."""

from io import StringIO

import graphene
import pytest
from django.core.management import call_command
from saleor.celeryconf import app as celery_app
from saleor.graphql.tests.utils import assert_no_permission, get_graphql_content

from conftest import WEBHOOK_SECRET
from saleor_cs_plugin import fetch, outbox
from saleor_cs_plugin.apps import SWEEP_NOTICES_BEAT_ENTRY
from saleor_cs_plugin.domain.notices import NoticeStatus, NoticeType, idempotency_key
from saleor_cs_plugin.models import Notice, NoticePreference

pytestmark = pytest.mark.django_db

NOTICES = """
query Notices($filter: ServiceNoticeFilterInput) {
  serviceNotices(first: 10, filter: $filter) {
    totalCount
    edges { node { id type status transport attempts lastError recipientEmail subject } }
  }
}
"""

RETRY = """
mutation Retry($id: ID!) {
  serviceNoticeRetry(id: $id) {
    notice { status attempts }
    errors { field message code }
  }
}
"""

PREFERENCES_UPDATE = """
mutation Prefs($optOut: Boolean!) {
  serviceNoticePreferencesUpdate(isOptedOutOfNonEssential: $optOut) {
    preferences { isOptedOutOfNonEssential }
    errors { field message code }
  }
}
"""

MY_PREFERENCES = (
    "query { me { serviceNoticePreferences { isOptedOutOfNonEssential } } }"
)


def _notice(channel, email, status, decision, notice_type=NoticeType.ORDER_DELAY):
    notice, _ = outbox.enqueue_notice(
        notice_type=notice_type,
        idempotency_key=idempotency_key(notice_type, email, decision),
        notice_settings=fetch.channel_settings(channel.pk).notices,
        recipient_email=email,
        context={"subject": f"Subject {decision}"},
        channel=channel,
    )
    Notice.objects.filter(pk=notice.pk).update(
        status=status, last_error="Webhook: HTTP 410" if status == "failed" else ""
    )
    notice.refresh_from_db()
    return notice


@pytest.fixture
def notices(plugin_configuration, channel_USD, webhook_receiver):
    plugin_configuration(
        notice_transports="*=webhook",
        webhook_url=webhook_receiver.url,
        webhook_secret=WEBHOOK_SECRET,
        quiet_hours="",
    )
    return {
        "failed": _notice(channel_USD, "a@example.com", NoticeStatus.FAILED, "1"),
        "sent": _notice(channel_USD, "b@example.com", NoticeStatus.SENT, "2"),
        "survey": _notice(
            channel_USD, "c@example.com", NoticeStatus.FAILED, "3", NoticeType.SURVEY
        ),
    }


def test_staff_list_failed_notices_by_type(
    staff_in_group, permission_manage_orders, notices
):
    staff_api_client = staff_in_group(permission_manage_orders)

    content = get_graphql_content(
        staff_api_client.post_graphql(
            NOTICES,
            {"filter": {"statuses": ["FAILED"], "types": ["ORDER_DELAY"]}},
        )
    )

    data = content["data"]["serviceNotices"]
    assert data["totalCount"] == 1
    node = data["edges"][0]["node"]
    failed = notices["failed"]
    assert node == {
        "id": graphene.Node.to_global_id("ServiceNotice", failed.pk),
        "type": "ORDER_DELAY",
        "status": "FAILED",
        "transport": "WEBHOOK",
        "attempts": 0,
        "lastError": "Webhook: HTTP 410",
        "recipientEmail": "a@example.com",
        "subject": "Subject 1",
    }


NOTICE_CALLERS_WITHOUT_PERMISSION = [
    ("api_client", None),
    ("user_api_client", None),
    ("staff_api_client", None),
    ("staff_api_client", "permission_manage_users"),
    ("app_api_client", None),
]


@pytest.mark.parametrize(
    ("client_name", "permission_name"), NOTICE_CALLERS_WITHOUT_PERMISSION
)
def test_notices_are_for_order_staff_only(
    caller, notices, client_name, permission_name
):
    client = caller(client_name, permission_name)

    response = client.post_graphql(NOTICES)

    assert_no_permission(response)


def test_app_with_manage_orders_lists_notices(
    app_api_client, permission_manage_orders, notices
):
    app_api_client.app.permissions.add(permission_manage_orders)

    content = get_graphql_content(app_api_client.post_graphql(NOTICES))

    assert content["data"]["serviceNotices"]["totalCount"] == 3


def test_staff_retry_a_failed_notice(
    staff_in_group, permission_manage_orders, notices, webhook_receiver
):
    # given a failed notice whose receiver now accepts
    staff_api_client = staff_in_group(permission_manage_orders)
    failed = notices["failed"]

    content = get_graphql_content(
        staff_api_client.post_graphql(
            RETRY, {"id": graphene.Node.to_global_id("ServiceNotice", failed.pk)}
        )
    )

    # then it was delivered again right after the mutation committed
    data = content["data"]["serviceNoticeRetry"]
    assert data["errors"] == []
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.last_error) == (
        NoticeStatus.SENT,
        1,
        "",
    )
    assert [r.headers["Idempotency-Key"] for r in webhook_receiver.requests] == [
        failed.idempotency_key
    ]


def test_only_failed_notices_can_be_retried(
    staff_in_group, permission_manage_orders, notices
):
    staff_api_client = staff_in_group(permission_manage_orders)
    sent = notices["sent"]

    content = get_graphql_content(
        staff_api_client.post_graphql(
            RETRY, {"id": graphene.Node.to_global_id("ServiceNotice", sent.pk)}
        )
    )

    data = content["data"]["serviceNoticeRetry"]
    assert data["errors"] == [
        {
            "field": "id",
            "message": "Only failed notices can be retried; this one is SENT.",
            "code": "INVALID",
        }
    ]
    sent.refresh_from_db()
    assert sent.status == NoticeStatus.SENT


@pytest.mark.parametrize(
    ("client_name", "permission_name"), NOTICE_CALLERS_WITHOUT_PERMISSION
)
def test_retry_needs_manage_orders(caller, notices, client_name, permission_name):
    client = caller(client_name, permission_name)
    failed = notices["failed"]

    response = client.post_graphql(
        RETRY, {"id": graphene.Node.to_global_id("ServiceNotice", failed.pk)}
    )

    assert_no_permission(response)
    failed.refresh_from_db()
    assert failed.status == NoticeStatus.FAILED


def test_staff_restricted_to_other_channels_neither_see_nor_retry_notices(
    staff_in_group, permission_manage_orders, notices, channel_PLN
):
    # given staff whose group is restricted to the PLN channel; the notices are USD
    staff_api_client = staff_in_group(permission_manage_orders, channels=[channel_PLN])
    failed = notices["failed"]

    listed = get_graphql_content(staff_api_client.post_graphql(NOTICES))
    retried = staff_api_client.post_graphql(
        RETRY, {"id": graphene.Node.to_global_id("ServiceNotice", failed.pk)}
    )

    assert listed["data"]["serviceNotices"]["totalCount"] == 0
    assert_no_permission(retried)
    failed.refresh_from_db()
    assert failed.status == NoticeStatus.FAILED


def test_shopper_opts_out_and_back_in(user_api_client, customer_user):
    for opt_out in [True, False]:
        content = get_graphql_content(
            user_api_client.post_graphql(PREFERENCES_UPDATE, {"optOut": opt_out})
        )
        data = content["data"]["serviceNoticePreferencesUpdate"]
        assert data == {
            "preferences": {"isOptedOutOfNonEssential": opt_out},
            "errors": [],
        }
        mine = get_graphql_content(user_api_client.post_graphql(MY_PREFERENCES))
        assert mine["data"]["me"]["serviceNoticePreferences"] == {
            "isOptedOutOfNonEssential": opt_out
        }
        preference = NoticePreference.objects.get()
        assert (preference.email, preference.is_opted_out_of_non_essential) == (
            customer_user.email,
            opt_out,
        )


@pytest.mark.parametrize(
    ("client_name", "permission_name", "expected"),
    [
        ("api_client", None, "denied"),
        ("other_customer_api_client", None, "denied"),
        ("staff_api_client", None, "denied"),
        ("staff_api_client", "permission_manage_users", True),
        ("app_api_client", None, "denied"),
        ("app_api_client", "permission_manage_users", True),
    ],
)
def test_who_reads_a_customers_preferences(
    caller, customer_user, client_name, permission_name, expected
):
    NoticePreference.objects.create(
        email=customer_user.email,
        user=customer_user,
        is_opted_out_of_non_essential=True,
    )
    client = caller(client_name, permission_name)
    query = (
        "query($id: ID!) { user(id: $id) { serviceNoticePreferences "
        "{ isOptedOutOfNonEssential } } }"
    )

    response = client.post_graphql(
        query, {"id": graphene.Node.to_global_id("User", customer_user.pk)}
    )

    if expected == "denied":
        assert_no_permission(response)
    else:
        content = get_graphql_content(response)
        assert content["data"]["user"]["serviceNoticePreferences"] == {
            "isOptedOutOfNonEssential": expected
        }


def test_anonymous_shopper_cannot_set_preferences(api_client):
    response = api_client.post_graphql(PREFERENCES_UPDATE, {"optOut": True})

    assert_no_permission(response)
    assert NoticePreference.objects.exists() is False


def test_command_lists_notices_and_sweeps(plugin_configuration, channel_USD, notices):
    # given one due notice besides the fixture's failed and sent ones
    due = _notice(channel_USD, "d@example.com", NoticeStatus.PENDING, "4")
    out = StringIO()

    call_command("cs_notices", "--sweep", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0] == "Sweep: sent 1"
    assert lines[1] == "Notices: pending 0, sending 0, sent 2, failed 2, skipped 0"
    listed = {line.split()[0] for line in lines[2:]}
    assert listed == {str(notices["failed"].pk), str(notices["survey"].pk)}
    due.refresh_from_db()
    assert due.status == NoticeStatus.SENT


def test_sweep_is_registered_with_celery_beat():
    entry = celery_app.conf.beat_schedule[SWEEP_NOTICES_BEAT_ENTRY]
    assert entry["task"] == "saleor_cs_plugin.sweep_notices"
    assert entry["schedule"].total_seconds() == 60
    assert "saleor_cs_plugin.sweep_notices" in celery_app.tasks
