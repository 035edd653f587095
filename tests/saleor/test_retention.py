"""The retention purge (``retention.purge``) on real rows in PostgreSQL: what each
channel's periods let go, what stays, the metrics counting the same before and after,
two purges at once, the operators' command, and what staff see of a purged notice."""

import uuid
from datetime import UTC, date, datetime, timedelta
from io import StringIO

import graphene
import pytest
from django.core.management import call_command
from django.db import connection
from saleor.celeryconf import app as celery_app
from saleor.graphql.tests.utils import get_graphql_content

from peers import race
from saleor_cs_plugin import channel_status, events, retention, tasks
from saleor_cs_plugin.apps import PURGE_PERSONAL_DATA_BEAT_ENTRY
from saleor_cs_plugin.domain.conversations import ConversationStatus, Direction
from saleor_cs_plugin.domain.coupons import Reason
from saleor_cs_plugin.domain.history import Actor, ContactChannel
from saleor_cs_plugin.domain.notices import NoticeStatus, NoticeType, Transport
from saleor_cs_plugin.domain.surveys import Moment, SurveyStatus
from saleor_cs_plugin.metrics import measure
from saleor_cs_plugin.models import (
    Conversation,
    ConversationMessage,
    CouponFailure,
    Notice,
    ServiceHistoryEntry,
    Survey,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
CONTEXT = {
    "subject": "Order #1042 is running late",
    "message": "Dear Anna Nowak, your mug will reach Długa 5, Gdańsk on Friday.",
    "customer_name": "Anna",
    "action_url": "https://shop.example.com/cs/usd/choice/?token=abc",
    "data": {"stage": "late", "lines": [{"name": "Mug", "quantity": 2}]},
}


def _attempt(channel, days_ago, *, reason=Reason.EXPIRED, code="SPRING10"):
    return CouponFailure.objects.create(
        created_at=NOW - timedelta(days=days_ago),
        code=code,
        reason=reason,
        channel=channel,
        checkout_token=uuid.uuid4(),
        client_ip="203.0.113.7",
    )


def _notice(channel, status, finished_days_ago, *, notice_type=NoticeType.ORDER_DELAY):
    finished_at = NOW - timedelta(days=finished_days_ago)
    notice = Notice.objects.create(
        created_at=finished_at - timedelta(hours=1),
        idempotency_key=f"test:{uuid.uuid4()}",
        notice_type=notice_type,
        channel=channel,
        recipient_email="anna@example.com",
        transport=Transport.WEBHOOK,
        context=CONTEXT,
        status=status,
        attempts=1,
        next_attempt_at=finished_at - timedelta(hours=1),
        sent_at=finished_at if status == NoticeStatus.SENT else None,
        last_error="Webhook: HTTP 410" if status == NoticeStatus.FAILED else "",
    )
    # ``updated_at`` is the finished time; saving sets it to the clock's now.
    Notice.objects.filter(pk=notice.pk).update(updated_at=finished_at)
    notice.refresh_from_db()
    return notice


def _kept_fields(notice):
    return (
        notice.notice_type,
        notice.status,
        notice.transport,
        notice.channel_id,
        notice.attempts,
        notice.created_at,
        notice.updated_at,
        notice.sent_at,
        notice.next_attempt_at,
        notice.last_error,
    )


@pytest.fixture
def channels(plugin_configuration, channel_USD, channel_PLN):
    """USD keeps coupon attempts 30 days and notices 60; PLN has no settings of its
    own (the defaults: 90 and 90)."""
    plugin_configuration(
        retention_coupon_attempt_days="30", retention_notice_content_days="60"
    )
    return channel_USD, channel_PLN


# Coupon attempts ------------------------------------------------------------------


def test_old_coupon_attempts_lose_code_checkout_and_address_by_channel(channels):
    # given attempts on both sides of each channel's period, and one whose channel
    # is gone (the default period)
    usd, pln = channels
    old_usd = _attempt(usd, 31)
    young_usd = _attempt(usd, 29)
    old_pln = _attempt(pln, 91, reason=Reason.UNKNOWN_CODE)
    young_pln = _attempt(pln, 89)
    old_orphan = _attempt(None, 91)
    young_orphan = _attempt(None, 60)

    # when
    report = retention.purge(NOW)

    # then the old ones keep only their reason, channel and time
    assert report == retention.PurgeReport(coupon_attempts=3, notices=0)
    for attempt, channel, reason in [
        (old_usd, usd, Reason.EXPIRED),
        (old_pln, pln, Reason.UNKNOWN_CODE),
        (old_orphan, None, Reason.EXPIRED),
    ]:
        created_at = attempt.created_at
        attempt.refresh_from_db()
        assert (
            attempt.code,
            attempt.checkout_token,
            attempt.client_ip,
            attempt.reason,
            attempt.channel,
            attempt.created_at,
        ) == ("", None, None, reason, channel, created_at)
    # and the young ones are as they were
    for attempt in (young_usd, young_pln, young_orphan):
        token = attempt.checkout_token
        attempt.refresh_from_db()
        assert (attempt.code, attempt.checkout_token, attempt.client_ip) == (
            "SPRING10",
            token,
            "203.0.113.7",
        )


# Notices -------------------------------------------------------------------------


def test_finished_notices_lose_what_they_said_and_to_whom(channels):
    # given notices sent, failed and skipped 61 days ago in USD (60 days kept)
    usd, pln = channels
    finished = [
        _notice(usd, NoticeStatus.SENT, 61),
        _notice(usd, NoticeStatus.FAILED, 61),
        _notice(usd, NoticeStatus.SKIPPED, 61, notice_type=NoticeType.SURVEY),
    ]
    kept_before = [_kept_fields(notice) for notice in finished]

    # when
    report = retention.purge(NOW)

    # then what they said and the address are gone; type, status and times stay
    assert report.notices == 3
    for notice, kept in zip(finished, kept_before, strict=True):
        notice.refresh_from_db()
        assert (notice.context, notice.recipient_email) == ({}, "")
        assert _kept_fields(notice) == kept


def test_notices_within_their_period_or_still_to_deliver_are_never_touched(channels):
    # given notices finished inside each channel's period, and notices decided long
    # ago that are still pending, being sent, or waiting for a retry
    usd, pln = channels
    untouched = [
        _notice(usd, NoticeStatus.SENT, 59),
        _notice(pln, NoticeStatus.SENT, 89),
        _notice(pln, NoticeStatus.FAILED, 89),
        _notice(None, NoticeStatus.SENT, 89),
        _notice(usd, NoticeStatus.PENDING, 400),
        _notice(usd, NoticeStatus.SENDING, 400),
        _notice(pln, NoticeStatus.PENDING, 400),
        _notice(None, NoticeStatus.SENDING, 400),
    ]
    before = [(*_kept_fields(n), n.context, n.recipient_email) for n in untouched]

    # when
    report = retention.purge(NOW)

    # then
    assert report.notices == 0
    for notice in untouched:
        notice.refresh_from_db()
    assert [(*_kept_fields(n), n.context, n.recipient_email) for n in untouched] == (
        before
    )


def test_notices_of_another_channel_and_without_one_follow_the_defaults(channels):
    usd, pln = channels
    old_pln = _notice(pln, NoticeStatus.SENT, 91)
    old_orphan = _notice(None, NoticeStatus.FAILED, 91)

    report = retention.purge(NOW)

    assert report.notices == 2
    for notice in (old_pln, old_orphan):
        notice.refresh_from_db()
        assert (notice.context, notice.recipient_email) == ({}, "")


def test_a_second_purge_finds_nothing_to_do(channels):
    # given one purge done
    usd, pln = channels
    notice = _notice(usd, NoticeStatus.SENT, 61)
    attempt = _attempt(usd, 31)
    assert retention.purge(NOW) == retention.PurgeReport(coupon_attempts=1, notices=1)
    notice.refresh_from_db()
    updated_at = notice.updated_at

    # when it runs again a day later
    again = retention.purge(NOW + timedelta(days=1))

    # then nothing is written again
    assert again == retention.PurgeReport()
    notice.refresh_from_db()
    attempt.refresh_from_db()
    assert (notice.updated_at, notice.context, attempt.code) == (updated_at, {}, "")


def test_a_channel_with_invalid_settings_keeps_its_data(channels, caplog):
    # given USD's stored settings made invalid behind the Dashboard's back
    usd, pln = channels
    from saleor.plugins.models import PluginConfiguration  # noqa: PLC0415

    configuration = PluginConfiguration.objects.get(channel=usd)
    for item in configuration.configuration:
        if item["name"] == "retention_notice_content_days":
            item["value"] = "1"
    configuration.save(update_fields=["configuration"])
    kept = _notice(usd, NoticeStatus.SENT, 400)
    purged = _notice(pln, NoticeStatus.SENT, 400)

    # when
    report = retention.purge(NOW)

    # then the other channel is purged, this one is kept and the log says why
    assert report.notices == 1
    kept.refresh_from_db()
    purged.refresh_from_db()
    assert (kept.context, purged.context) == (CONTEXT, {})
    assert f"Personal data of channel {usd.pk} kept: invalid settings" in caplog.text


# Survey comments -----------------------------------------------------------------


def test_the_purge_erases_old_survey_comments_too(plugin_configuration, channel_USD):
    # given a comment answered 31 days ago where comments are kept 30
    plugin_configuration(survey_comment_retention_days="30")
    survey = Survey.objects.create(
        survey_key="completed:retention",
        moment=Moment.COMPLETED,
        channel=channel_USD,
        email="anna@example.com",
        status=SurveyStatus.SENT,
        sent_at=NOW - timedelta(days=40),
        satisfied=False,
        comment="The mug came broken.",
        answered_at=NOW - timedelta(days=31),
    )

    # when
    report = retention.purge(NOW)

    # then the words are gone, the answer stays
    assert report == retention.PurgeReport(survey_comments=1)
    survey.refresh_from_db()
    assert (survey.comment, survey.satisfied, survey.comment_erased_at) == (
        "",
        False,
        NOW,
    )


# The metrics ---------------------------------------------------------------------


def test_the_metrics_count_the_same_before_and_after_a_purge(channels):
    # given a USD store with a history of attempts and notices of every status,
    # inside and past the retention periods
    usd, pln = channels
    for days_ago, reason in [
        (100, Reason.EXPIRED),
        (95, Reason.EXPIRED),
        (45, Reason.UNKNOWN_CODE),
        (31, Reason.MINIMUM_SPEND_NOT_MET),
        (10, Reason.EXPIRED),
        (1, Reason.UNKNOWN_CODE),
    ]:
        _attempt(usd, days_ago, reason=reason)
    for days_ago, status, notice_type in [
        (120, NoticeStatus.SENT, NoticeType.ORDER_DELAY),
        (90, NoticeStatus.FAILED, NoticeType.ORDER_DELAY),
        (75, NoticeStatus.SKIPPED, NoticeType.SURVEY),
        (61, NoticeStatus.SENT, NoticeType.STOCK_SHORTAGE),
        (70, NoticeStatus.PENDING, NoticeType.ORDER_DELAY),
        (5, NoticeStatus.FAILED, NoticeType.SURVEY),
        (6, NoticeStatus.FAILED, NoticeType.ORDER_DELAY),
        (1, NoticeStatus.SENT, NoticeType.ORDER_DELAY),
    ]:
        _notice(usd, status, days_ago, notice_type=notice_type)
    since, until = date(2025, 10, 1), date(2026, 3, 3)
    weeks_before = measure.weekly(usd.pk, since, until)
    period_before = measure.measure(usd.pk, since, until)
    status_before = channel_status.read_counts(usd.pk, NOW)

    # when
    report = retention.purge(NOW)

    # then something was purged, and every count reads the same
    assert report == retention.PurgeReport(coupon_attempts=4, notices=4)
    assert measure.measure(usd.pk, since, until) == period_before
    assert measure.weekly(usd.pk, since, until) == weeks_before
    assert channel_status.read_counts(usd.pk, NOW) == status_before
    assert period_before.coupon_failures == {
        "expired": 3,
        "minimum_spend_not_met": 1,
        "unknown_code": 2,
    }
    assert period_before.notices == {
        ("order_delay", "failed"): 2,
        ("order_delay", "pending"): 1,
        ("order_delay", "sent"): 2,
        ("stock_shortage", "sent"): 1,
        ("survey", "failed"): 1,
        ("survey", "skipped"): 1,
    }
    assert status_before.failed_notices == 2


# Two purges at once ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_purges_at_once_purge_each_row_once(plugin_configuration, channel_USD):
    # given 2,500 old attempts and 2,500 old notices (three batches of 1,000 each)
    plugin_configuration()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {CouponFailure._meta.db_table}"
            " (created_at, code, reason, channel_id, checkout_token, client_ip)"
            " SELECT %s, 'CODE' || n, 'expired', %s, gen_random_uuid(), '203.0.113.7'"
            " FROM generate_series(1, 2500) AS n",
            [NOW - timedelta(days=91), channel_USD.pk],
        )
        cursor.execute(
            f"INSERT INTO {Notice._meta.db_table}"
            " (id, created_at, updated_at, idempotency_key, notice_type, channel_id,"
            " recipient_email, transport, is_essential, context, status, attempts,"
            " next_attempt_at, last_error)"
            " SELECT gen_random_uuid(), %s, %s, 'race:' || n, 'order_delay', %s,"
            " 'c' || n || '@example.com', 'webhook', false, '{\"subject\": \"Late\"}',"
            " 'sent', 1, %s, '' FROM generate_series(1, 2500) AS n",
            [NOW - timedelta(days=92)] * 2 + [channel_USD.pk, NOW - timedelta(days=92)],
        )

    # when two purges run at the same moment on their own connections
    reports = race(lambda: retention.purge(NOW), lambda: retention.purge(NOW))

    # then between them every row was purged once, and none is left
    assert len(reports) == 2
    assert sum(report.coupon_attempts for report in reports) == 2500
    assert sum(report.notices for report in reports) == 2500
    assert CouponFailure.objects.exclude(code="").count() == 0
    assert CouponFailure.objects.filter(checkout_token__isnull=False).count() == 0
    assert Notice.objects.exclude(context={}).count() == 0
    assert Notice.objects.exclude(recipient_email="").count() == 0
    assert retention.purge(NOW) == retention.PurgeReport()


# The operators' command ------------------------------------------------------------


def test_the_command_counts_in_a_dry_run_then_purges(channels):
    # given
    usd, pln = channels
    notice = _notice(usd, NoticeStatus.SENT, 400)
    _attempt(pln, 400)
    _attempt(pln, 400)

    # when a dry run counts
    out = StringIO()
    call_command("cs_purge", "--dry-run", stdout=out)

    # then nothing changed
    assert out.getvalue() == (
        "Would purge: 2 coupon attempt(s), 1 notice(s), 0 survey comment(s), "
        "0 conversation(s).\n"
    )
    notice.refresh_from_db()
    assert notice.context == CONTEXT
    assert CouponFailure.objects.filter(code="SPRING10").count() == 2

    # when the command purges
    out = StringIO()
    call_command("cs_purge", stdout=out)

    # then
    assert out.getvalue() == (
        "Purged: 2 coupon attempt(s), 1 notice(s), 0 survey comment(s), "
        "0 conversation(s).\n"
    )
    notice.refresh_from_db()
    assert notice.context == {}
    assert CouponFailure.objects.filter(code="SPRING10").count() == 0


# Conversations ---------------------------------------------------------------------


def _conversation(channel, status, resolved_days_ago, *, sender="+48601000001"):
    resolved_at = (
        NOW - timedelta(days=resolved_days_ago)
        if status == ConversationStatus.RESOLVED
        else None
    )
    conversation = Conversation.objects.create(
        channel=channel,
        contact_channel=ContactChannel.SMS,
        sender=sender,
        status=status,
        opened_at=NOW - timedelta(days=resolved_days_ago + 1),
        first_answered_at=NOW - timedelta(days=resolved_days_ago, hours=1),
        resolved_at=resolved_at,
        store_replies=1,
    )
    for direction, text in (
        (Direction.CUSTOMER, "My number is 601 000 001, I live at Długa 5."),
        (Direction.STORE, "Thank you, Anna; a new parcel is on its way."),
    ):
        message = ConversationMessage(
            conversation=conversation,
            channel=channel,
            direction=direction,
            text=text,
            sent_at=NOW - timedelta(days=resolved_days_ago + 1),
        )
        message.entry = events.message_event(
            conversation,
            message,
            actor=Actor.CUSTOMER if direction == Direction.CUSTOMER else Actor.STAFF,
        )
        message.save()
    return conversation


def test_old_resolved_conversations_lose_what_was_said_and_the_sender(
    plugin_configuration, channel_USD, channel_PLN
):
    # given USD keeps conversations 60 days; PLN the default of 365
    plugin_configuration(retention_conversation_days="60")
    old = _conversation(channel_USD, ConversationStatus.RESOLVED, 61)
    recent = _conversation(channel_USD, ConversationStatus.RESOLVED, 59, sender="+1")
    still_open = _conversation(
        channel_USD, ConversationStatus.WAITING_ON_CUSTOMER, 400, sender="+2"
    )
    pln = _conversation(channel_PLN, ConversationStatus.RESOLVED, 364, sender="+3")

    # when
    report = retention.purge(NOW)

    # then only the old resolved one forgets, and keeps what the metrics count
    assert report == retention.PurgeReport(conversations=1)
    old.refresh_from_db()
    assert old.sender == ""
    assert (old.status, old.store_replies, old.contact_channel) == (
        ConversationStatus.RESOLVED,
        1,
        ContactChannel.SMS,
    )
    assert old.resolved_at == NOW - timedelta(days=61)
    assert list(old.messages.values_list("text", flat=True)) == ["", ""]
    entries = ServiceHistoryEntry.objects.filter(pk__in=old.messages.values("entry_id"))
    assert sorted(entries.values_list("message", flat=True)) == ["", ""]
    for kept in (recent, still_open, pln):
        kept.refresh_from_db()
        assert kept.sender != ""
        assert "" not in kept.messages.values_list("text", flat=True)
    assert retention.purge(NOW) == retention.PurgeReport()


# What staff see of a purged notice -------------------------------------------------

NOTICES = """
query Notices {
  serviceNotices(first: 10) {
    totalCount
    edges { node { id type status recipientEmail subject delayStage sentAt } }
  }
}
"""


RETRY = """
mutation Retry($id: ID!) {
  serviceNoticeRetry(id: $id) {
    notice { status }
    errors { field message code }
  }
}
"""


def test_a_purged_failed_notice_can_no_longer_be_retried(
    channels,
    staff_in_group,
    permission_manage_orders,
    django_capture_on_commit_callbacks,
):
    # given a notice that failed 61 days ago, purged since
    usd, pln = channels
    notice = _notice(usd, NoticeStatus.FAILED, 61)
    retention.purge(NOW)
    staff_api_client = staff_in_group(permission_manage_orders)

    # when staff retry it
    with django_capture_on_commit_callbacks() as scheduled:
        content = get_graphql_content(
            staff_api_client.post_graphql(
                RETRY, {"id": graphene.Node.to_global_id("ServiceNotice", notice.pk)}
            )
        )

    # then they are told why, and nothing is sent
    assert content["data"]["serviceNoticeRetry"] == {
        "notice": None,
        "errors": [
            {
                "field": "id",
                "message": (
                    "This notice can no longer be sent again: what it said was "
                    "purged after the channel's retention period (or its customer "
                    "was deleted)."
                ),
                "code": "INVALID",
            }
        ],
    }
    notice.refresh_from_db()
    assert (notice.status, notice.attempts, notice.context) == (
        NoticeStatus.FAILED,
        1,
        {},
    )
    assert scheduled == []


def test_staff_list_a_purged_notice_with_its_type_status_and_times(
    channels, staff_in_group, permission_manage_orders
):
    usd, pln = channels
    notice = _notice(usd, NoticeStatus.SENT, 61)
    retention.purge(NOW)
    staff_api_client = staff_in_group(permission_manage_orders)

    content = get_graphql_content(staff_api_client.post_graphql(NOTICES))

    assert content["data"]["serviceNotices"] == {
        "totalCount": 1,
        "edges": [
            {
                "node": {
                    "id": graphene.Node.to_global_id("ServiceNotice", notice.pk),
                    "type": "ORDER_DELAY",
                    "status": "SENT",
                    "recipientEmail": "",
                    "subject": "",
                    # The stage it told is gone with its data: the earliest.
                    "delayStage": "AT_RISK",
                    "sentAt": notice.sent_at.isoformat(),
                }
            }
        ],
    }


# The beat task ---------------------------------------------------------------------


def test_the_purge_runs_daily_as_one_beat_task(channels):
    entry = celery_app.conf.beat_schedule[PURGE_PERSONAL_DATA_BEAT_ENTRY]
    assert entry["task"] == "saleor_cs_plugin.purge_personal_data"
    assert entry["schedule"].total_seconds() == 24 * 3600
    assert "saleor_cs_plugin.purge_personal_data" in celery_app.tasks

    # and the task purges by the clock's now
    usd, pln = channels
    notice = _notice(usd, NoticeStatus.SENT, 61)
    Notice.objects.filter(pk=notice.pk).update(
        updated_at=datetime.now(UTC) - timedelta(days=61)
    )
    assert tasks.purge_personal_data_task() == {
        "coupon_attempts": 0,
        "notices": 1,
        "survey_comments": 0,
        "conversations": 0,
    }
    notice.refresh_from_db()
    assert notice.context == {}
