"""Notices delivered to real local peers: an SMTP server and a webhook receiver."""

import email
import time
from datetime import timedelta
from email import policy

import pytest
from django.db import connection
from django.test import TestCase
from django.utils import timezone
from kombu.exceptions import OperationalError
from saleor.core.http_client import HTTPClient

from conftest import WEBHOOK_SECRET
from saleor_cs_plugin import events, fetch, outbox, tasks
from saleor_cs_plugin.domain.history import Actor, ContactChannel, EntryType
from saleor_cs_plugin.domain.notices import NoticeStatus, NoticeType, idempotency_key
from saleor_cs_plugin.models import Notice, NoticePreference, ServiceHistoryEntry

pytestmark = pytest.mark.django_db

HOSTILE_NAME = '<img src=x onerror="alert(1)">Eve & Co'


def _email_settings(smtp_receiver, **extra):
    return {
        "notice_transports": "*=email",
        "smtp_host": "127.0.0.1",
        "smtp_port": str(smtp_receiver.port),
        "smtp_security": "none",
        "sender_name": "Acme Care",
        "sender_address": "care@example.com",
        "support_contact": "Reply to this e-mail.",
        "quiet_hours": "",
        **extra,
    }


def _webhook_settings(webhook_receiver, **extra):
    return {
        "notice_transports": "*=webhook",
        "webhook_url": webhook_receiver.url,
        "webhook_secret": WEBHOOK_SECRET,
        "webhook_contact_channel": "chat",
        "quiet_hours": "",
        "retry_base_seconds": "1",
        **extra,
    }


def _enqueue(
    channel,
    user,
    notice_type=NoticeType.ORDER_DELAY,
    *,
    decision="1",
    order=None,
    **context,
):
    notice, created = outbox.enqueue_notice(
        notice_type=notice_type,
        idempotency_key=idempotency_key(notice_type, user.email, decision),
        notice_settings=fetch.channel_settings(channel.pk).notices,
        recipient_email=user.email,
        context={
            "subject": "Your order is running late",
            "message": "It will arrive on Friday instead of Wednesday.",
            "customer_name": user.first_name,
            "data": {"newEstimate": "2026-11-27"},
            **context,
        },
        channel=channel,
        user=user,
        order=order,
    )
    assert created is True
    return notice


def test_email_notice_reaches_smtp_with_text_and_escaped_html(
    plugin_configuration, channel_USD, customer_user, smtp_receiver, order
):
    # given a customer whose name is hostile HTML
    plugin_configuration(**_email_settings(smtp_receiver))
    customer_user.first_name = HOSTILE_NAME
    customer_user.save(update_fields=["first_name"])
    notice = _enqueue(
        channel_USD, customer_user, customer_name=HOSTILE_NAME, order=order
    )

    # when
    outcome = tasks.deliver_notice(notice.pk)

    # then one message with a plain-text and an escaped HTML part
    assert outcome == "sent"
    (received,) = smtp_receiver.messages
    assert received["to"] == [customer_user.email]
    message = email.message_from_bytes(received["data"], policy=policy.default)
    assert message["Subject"] == "Your order is running late"
    assert message["From"] == "Acme Care <care@example.com>"
    assert message["Message-ID"].startswith("<cs-")
    # A Date header, so mail clients sort and show it (parsed, it is aware).
    assert message["Date"].datetime.tzinfo is not None
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = message.get_body(("html",)).get_content()
    assert text == (
        f"Hello {HOSTILE_NAME},\n\nIt will arrive on Friday instead of Wednesday."
        "\n\nReply to this e-mail.\n"
    )
    assert "<img" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;Eve &amp; Co" in html
    # and the notice and the history record it
    notice.refresh_from_db()
    assert (notice.status, notice.attempts, notice.last_error) == (
        NoticeStatus.SENT,
        1,
        "",
    )
    entry = ServiceHistoryEntry.objects.get()
    assert (entry.type, entry.contact_channel, entry.user, entry.order) == (
        EntryType.NOTICE_SENT,
        ContactChannel.EMAIL,
        customer_user,
        order,
    )
    assert entry.is_customer_visible is True
    assert entry.message == "Your order is running late"


@pytest.mark.parametrize(
    "subject",
    [
        "Zamówienie nr 164 może zostać wysłane później, niż obiecaliśmy",
        "Sklep Acme: Zamówienie nr 1000 może zostać wysłane później, niż obiecaliśmy",
        "Bestellung Nr. 1042 wird möglicherweise später versandt als versprochen",
    ],
)
def test_a_subject_in_another_language_arrives_word_for_word(
    plugin_configuration, channel_USD, customer_user, smtp_receiver, subject
):
    # given: subjects whose encoded words fall where a folded header would lose
    # the space between them
    plugin_configuration(**_email_settings(smtp_receiver))
    notice = _enqueue(channel_USD, customer_user, subject=subject, language="pl")

    # when
    assert tasks.deliver_notice(notice.pk) == "sent"

    # then
    (received,) = smtp_receiver.messages
    message = email.message_from_bytes(received["data"], policy=policy.default)
    assert (message["Subject"], message["Content-Language"]) == (subject, "pl")


def test_webhook_is_signed_carries_the_key_and_retries_after_a_5xx(
    plugin_configuration, channel_USD, customer_user, webhook_receiver
):
    # given a receiver that answers 500, then 200
    plugin_configuration(**_webhook_settings(webhook_receiver))
    webhook_receiver.planned_statuses = [500]
    notice = _enqueue(channel_USD, customer_user)

    # when the first attempt fails
    first = tasks.deliver_notice(notice.pk)
    notice.refresh_from_db()

    # then the notice waits for its retry and nothing is recorded yet
    assert first == "retry"
    assert (notice.status, notice.attempts) == (NoticeStatus.PENDING, 1)
    assert notice.last_error == "Webhook: HTTP 500 planned answer"
    assert notice.next_attempt_at > timezone.now()
    assert ServiceHistoryEntry.objects.exists() is False

    # when the retry is due and runs
    Notice.objects.filter(pk=notice.pk).update(next_attempt_at=timezone.now())
    second = tasks.deliver_notice(notice.pk)

    # then
    assert second == "sent"
    assert len(webhook_receiver.requests) == 2
    assert {r.headers["Idempotency-Key"] for r in webhook_receiver.requests} == {
        notice.idempotency_key
    }
    assert all(r.is_signature_valid for r in webhook_receiver.requests)
    payload = webhook_receiver.requests[1].json
    assert payload["type"] == "order_delay"
    assert payload["subject"] == "Your order is running late"
    assert payload["data"] == {"newEstimate": "2026-11-27"}
    assert payload["recipient"]["email"] == customer_user.email
    assert "secret" not in webhook_receiver.requests[1].body.decode().lower()
    entry = ServiceHistoryEntry.objects.get()
    assert (entry.type, entry.contact_channel) == (
        EntryType.NOTICE_SENT,
        ContactChannel.CHAT,
    )
    assert entry.details["attempts"] == 2


def test_webhook_4xx_fails_at_once_and_is_recorded(
    plugin_configuration, channel_USD, customer_user, webhook_receiver
):
    plugin_configuration(**_webhook_settings(webhook_receiver))
    webhook_receiver.planned_statuses = [422]
    notice = _enqueue(channel_USD, customer_user)

    outcome = tasks.deliver_notice(notice.pk)

    assert outcome == "failed"
    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == (NoticeStatus.FAILED, 1)
    assert notice.last_error == "Webhook: HTTP 422 planned answer"
    assert len(webhook_receiver.requests) == 1
    entry = ServiceHistoryEntry.objects.get()
    assert entry.type == EntryType.NOTICE_FAILED
    assert entry.is_customer_visible is False
    assert entry.details["error"] == "Webhook: HTTP 422 planned answer"


def test_retryable_failures_stop_at_the_attempt_limit(
    plugin_configuration, channel_USD, customer_user, webhook_receiver
):
    plugin_configuration(**_webhook_settings(webhook_receiver, max_attempts="2"))
    webhook_receiver.planned_statuses = [503, 503, 503]
    notice = _enqueue(channel_USD, customer_user)

    outcomes = []
    for _ in range(3):
        Notice.objects.filter(pk=notice.pk).update(next_attempt_at=timezone.now())
        outcomes.append(tasks.deliver_notice(notice.pk))

    assert outcomes == ["retry", "failed", "not due"]
    assert len(webhook_receiver.requests) == 2
    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == (NoticeStatus.FAILED, 2)
    assert ServiceHistoryEntry.objects.get().type == EntryType.NOTICE_FAILED


def test_unreachable_smtp_server_is_retried(
    plugin_configuration, channel_USD, customer_user, smtp_receiver
):
    # given the SMTP server is down
    plugin_configuration(**_email_settings(smtp_receiver))
    smtp_receiver.stop()
    notice = _enqueue(channel_USD, customer_user)

    outcome = tasks.deliver_notice(notice.pk)

    assert outcome == "retry"
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.PENDING
    assert notice.last_error == (
        "SMTP: ConnectionRefusedError: [Errno 111] Connection refused"
    )
    smtp_receiver.stop = lambda: None  # already stopped


def test_same_decision_twice_is_one_notice(
    plugin_configuration, channel_USD, customer_user
):
    plugin_configuration()
    settings = fetch.channel_settings(channel_USD.pk).notices
    key = idempotency_key(NoticeType.ORDER_DELAY, "order-1", "at_risk")

    results = [
        outbox.enqueue_notice(
            notice_type=NoticeType.ORDER_DELAY,
            idempotency_key=key,
            notice_settings=settings,
            recipient_email=customer_user.email,
            context={"subject": "Late"},
            channel=channel_USD,
        )
        for _ in range(2)
    ]

    assert [created for _, created in results] == [True, False]
    assert results[0][0].pk == results[1][0].pk
    assert Notice.objects.count() == 1


def test_opted_out_customer_gets_essential_but_not_other_notices(
    plugin_configuration, channel_USD, customer_user, webhook_receiver
):
    plugin_configuration(**_webhook_settings(webhook_receiver))
    NoticePreference.objects.create(
        email=customer_user.email,
        user=customer_user,
        is_opted_out_of_non_essential=True,
    )
    survey = _enqueue(channel_USD, customer_user, NoticeType.SURVEY)
    delay = _enqueue(channel_USD, customer_user, NoticeType.ORDER_DELAY)

    assert tasks.deliver_notice(survey.pk) == "skipped"
    assert tasks.deliver_notice(delay.pk) == "sent"

    survey.refresh_from_db()
    assert survey.status == NoticeStatus.SKIPPED
    assert survey.last_error == "The customer opted out of non-essential notices."
    assert [r.json["type"] for r in webhook_receiver.requests] == ["order_delay"]


def test_quiet_hours_defer_non_essential_notices_to_the_morning(
    plugin_configuration, channel_USD, customer_user, webhook_receiver
):
    # given quiet hours from this hour to two hours on (robust to the hour turning)
    now_hour = timezone.now().hour
    quiet = f"{now_hour}-{(now_hour + 2) % 24}"
    plugin_configuration(**_webhook_settings(webhook_receiver, quiet_hours=quiet))
    survey = _enqueue(channel_USD, customer_user, NoticeType.SURVEY)

    outcome = tasks.deliver_notice(survey.pk)

    assert outcome == "deferred"
    survey.refresh_from_db()
    expected_end = survey.created_at.replace(
        minute=0, second=0, microsecond=0
    ) + timedelta(hours=2)
    assert (survey.status, survey.attempts) == (NoticeStatus.PENDING, 0)
    assert survey.next_attempt_at == expected_end
    assert webhook_receiver.requests == []


def test_frequency_cap_defers_the_notice_over_the_limit(
    plugin_configuration, channel_USD, customer_user, webhook_receiver
):
    plugin_configuration(**_webhook_settings(webhook_receiver, max_notices_per_day="1"))
    first = _enqueue(channel_USD, customer_user, NoticeType.SURVEY, decision="a")
    second = _enqueue(channel_USD, customer_user, NoticeType.SURVEY, decision="b")

    assert tasks.deliver_notice(first.pk) == "sent"
    assert tasks.deliver_notice(second.pk) == "deferred"

    first.refresh_from_db()
    second.refresh_from_db()
    assert second.next_attempt_at == first.sent_at + timedelta(hours=24)
    assert len(webhook_receiver.requests) == 1


def test_two_sweeps_racing_deliver_each_notice_once(
    plugin_configuration, channel_USD, customer_user, webhook_receiver
):
    # given notices whose delivery task never ran
    plugin_configuration(**_webhook_settings(webhook_receiver))
    notices = [
        _enqueue(channel_USD, customer_user, NoticeType.ORDER_DELAY, decision=str(n))
        for n in range(3)
    ]

    # when two sweeps see the same due notices and both try to deliver them
    first_sweep = outbox.due_notice_ids(100)
    second_sweep = outbox.due_notice_ids(100)
    outcomes = [tasks.deliver_notice(i) for i in first_sweep + second_sweep]

    # then
    assert sorted(first_sweep) == sorted(second_sweep) == sorted(n.pk for n in notices)
    assert outcomes == ["sent"] * 3 + ["not due"] * 3
    keys = [r.headers["Idempotency-Key"] for r in webhook_receiver.requests]
    assert sorted(keys) == sorted(n.idempotency_key for n in notices)
    assert ServiceHistoryEntry.objects.filter(type=EntryType.NOTICE_SENT).count() == 3


def test_expired_claim_of_a_dead_worker_is_taken_back(
    plugin_configuration, channel_USD, customer_user, webhook_receiver
):
    plugin_configuration(**_webhook_settings(webhook_receiver))
    notice = _enqueue(channel_USD, customer_user)
    # a worker claimed it and died without a word; its claim has run out since
    claimed = outbox.claim(notice.pk)
    assert claimed.status == NoticeStatus.SENDING
    assert outbox.due_notice_ids(10) == []
    Notice.objects.filter(pk=notice.pk).update(
        claimed_until=timezone.now() - timedelta(seconds=1)
    )

    assert outbox.due_notice_ids(10) == [notice.pk]
    assert tasks.deliver_notice(notice.pk) == "sent"
    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == (NoticeStatus.SENT, 2)


def test_deleted_customer_is_forgotten_by_waiting_notices(
    plugin_configuration, channel_USD, customer_user, webhook_receiver
):
    plugin_configuration(**_webhook_settings(webhook_receiver))
    notice = _enqueue(channel_USD, customer_user)

    customer_user.delete()

    notice.refresh_from_db()
    assert (notice.user_id, notice.recipient_email, notice.context) == (None, "", {})
    assert tasks.deliver_notice(notice.pk) == "skipped"
    assert webhook_receiver.requests == []


def test_transport_off_records_the_notice_as_skipped(
    plugin_configuration, channel_USD, customer_user
):
    plugin_configuration(notice_transports="*=off")

    notice = _enqueue(channel_USD, customer_user, NoticeType.SURVEY)

    assert notice.status == NoticeStatus.SKIPPED
    assert outbox.due_notice_ids(10) == []


def test_broker_down_at_commit_leaves_the_notice_for_the_sweep(
    plugin_configuration, channel_USD, customer_user, webhook_receiver, monkeypatch
):
    # given the broker refuses the task
    plugin_configuration(**_webhook_settings(webhook_receiver))
    notice = _enqueue(channel_USD, customer_user)

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379.")

    monkeypatch.setattr(tasks.deliver_notices_task, "apply_async", broker_down)

    # when delivery is scheduled as the deciding transaction commits
    with TestCase.captureOnCommitCallbacks(execute=True):
        tasks.schedule_delivery([notice.pk])

    # then nothing was sent, nothing raised, and the sweep finds the notice
    assert webhook_receiver.requests == []
    assert outbox.due_notice_ids(10) == [notice.pk]


def test_late_outcome_of_a_worker_whose_claim_was_taken_over_changes_nothing(
    plugin_configuration, channel_USD, customer_user, webhook_receiver
):
    # given worker A claimed the notice, its claim ran out, and worker B delivered it
    plugin_configuration(**_webhook_settings(webhook_receiver))
    notice = _enqueue(channel_USD, customer_user)
    stale = outbox.claim(notice.pk)
    Notice.objects.filter(pk=notice.pk).update(
        claimed_until=timezone.now() - timedelta(seconds=1)
    )
    assert tasks.deliver_notice(notice.pk) == "sent"

    # when worker A finally reports a temporary failure
    changed = outbox.mark_retry(stale, "SMTP: 451", timedelta(0))

    # then B's outcome stands
    assert changed is False
    notice.refresh_from_db()
    assert (notice.status, notice.last_error) == (NoticeStatus.SENT, "")


def test_notice_that_keeps_stopping_unexpectedly_is_abandoned(
    plugin_configuration, channel_USD, customer_user, webhook_receiver
):
    # given a notice claimed more often than allowed, each time by a worker that died
    plugin_configuration(**_webhook_settings(webhook_receiver, max_attempts="2"))
    notice = _enqueue(channel_USD, customer_user)
    Notice.objects.filter(pk=notice.pk).update(attempts=2)

    outcome = tasks.deliver_notice(notice.pk)

    assert outcome == "failed"
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.FAILED
    assert notice.last_error == "Abandoned after 2 attempts that stopped unexpectedly."
    assert webhook_receiver.requests == []
    assert ServiceHistoryEntry.objects.get().type == EntryType.NOTICE_FAILED


def test_one_broken_notice_does_not_stop_its_batch(
    plugin_configuration, channel_USD, customer_user, webhook_receiver, monkeypatch
):
    # given the transport breaks in an unforeseen way for one notice of a batch
    plugin_configuration(**_webhook_settings(webhook_receiver))
    broken = _enqueue(channel_USD, customer_user, decision="broken")
    good = _enqueue(channel_USD, customer_user, decision="good")
    post_webhook = tasks.transport.post_webhook

    def breaks_for_one(url, secret, payload, *, idempotency_key, **options):
        if idempotency_key == broken.idempotency_key:
            raise RuntimeError("unforeseen")
        post_webhook(url, secret, payload, idempotency_key=idempotency_key, **options)

    monkeypatch.setattr(tasks.transport, "post_webhook", breaks_for_one)

    # when
    outcomes = tasks.deliver_notices_task([str(broken.pk), str(good.pk)])

    # then the other notice went, and the broken one waits for the sweep
    assert outcomes == {"error": 1, "sent": 1}
    good.refresh_from_db()
    broken.refresh_from_db()
    assert good.status == NoticeStatus.SENT
    assert (broken.status, broken.attempts) == (NoticeStatus.SENDING, 1)


def test_notices_of_a_channel_where_the_plugin_is_off_are_skipped(
    plugin_configuration, channel_USD, customer_user, webhook_receiver
):
    plugin_configuration(active=False, **_webhook_settings(webhook_receiver))
    notice = _enqueue(channel_USD, customer_user)

    assert tasks.deliver_notice(notice.pk) == "skipped"

    notice.refresh_from_db()
    assert notice.last_error == "The plugin is not active in the channel 'main'."
    assert webhook_receiver.requests == []


def test_transport_switched_off_after_the_decision_skips_the_notice(
    plugin_configuration, channel_USD, customer_user, webhook_receiver
):
    configuration = plugin_configuration(**_webhook_settings(webhook_receiver))
    notice = _enqueue(channel_USD, customer_user)
    for item in configuration.configuration:
        if item["name"] == "notice_transports":
            item["value"] = "*=webhook\norder_delay=off"
    configuration.save(update_fields=["configuration"])

    assert tasks.deliver_notice(notice.pk) == "skipped"

    notice.refresh_from_db()
    assert (notice.status, notice.last_error) == (
        NoticeStatus.SKIPPED,
        "The transport of this notice type is 'off'.",
    )
    assert webhook_receiver.requests == []


def test_saleor_notify_with_no_app_listening_fails_instead_of_counting_as_sent(
    plugin_configuration, channel_USD, customer_user
):
    plugin_configuration(notice_transports="*=saleor_notify", quiet_hours="")
    notice = _enqueue(channel_USD, customer_user)

    assert tasks.deliver_notice(notice.pk) == "failed"

    notice.refresh_from_db()
    assert notice.last_error == (
        "Saleor notify: no app receives Saleor's notifications (NOTIFY_USER)"
    )


def test_batch_claim_takes_each_due_pending_notice_once_in_the_given_order(
    plugin_configuration, channel_USD, customer_user
):
    # given due notices, one due later, one another delivery holds, and one whose
    # holder died (its claim ran out)
    plugin_configuration(quiet_hours="")
    due = [_enqueue(channel_USD, customer_user, decision=f"due-{n}") for n in range(3)]
    later = _enqueue(channel_USD, customer_user, decision="later")
    Notice.objects.filter(pk=later.pk).update(
        next_attempt_at=timezone.now() + timedelta(hours=1)
    )
    held = _enqueue(channel_USD, customer_user, decision="held")
    holder = outbox.claim(held.pk)
    abandoned = _enqueue(channel_USD, customer_user, decision="abandoned")
    outbox.claim(abandoned.pk)
    Notice.objects.filter(pk=abandoned.pk).update(
        claimed_until=timezone.now() - timedelta(seconds=1)
    )
    ids = [due[2].pk, later.pk, due[0].pk, held.pk, abandoned.pk, due[1].pk, due[0].pk]

    # when two deliveries claim the same ids, one after the other
    first, first_others = outbox.claim_pending(ids)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement_timestamp()")
        [(database_now,)] = cursor.fetchall()
    second, second_others = outbox.claim_pending([str(pk) for pk in ids])

    # then the first holds every due pending notice once, in the given order, and
    # the second none; the dead worker's notice is left to be taken back alone
    assert [notice.pk for notice in first] == [due[2].pk, due[0].pk, due[1].pk]
    # held for a claim's duration from the database's time of the claim, all three
    # by one statement
    assert [(n.status, n.attempts) for n in first] == [(NoticeStatus.SENDING, 1)] * 3
    assert len({n.claimed_until for n in first}) == 1
    claimed_at = first[0].claimed_until - outbox.claim_duration()
    assert timedelta(0) <= database_now - claimed_at < timedelta(seconds=1)
    assert first_others == [later.pk, held.pk, abandoned.pk]
    assert second == []
    assert second_others == [
        due[2].pk,
        later.pk,
        due[0].pk,
        held.pk,
        abandoned.pk,
        due[1].pk,
    ]
    held.refresh_from_db()
    later.refresh_from_db()
    abandoned.refresh_from_db()
    assert (held.status, held.attempts, held.claimed_until) == (
        NoticeStatus.SENDING,
        1,
        holder.claimed_until,
    )
    assert (later.status, later.attempts, later.claimed_until) == (
        NoticeStatus.PENDING,
        0,
        None,
    )
    assert (abandoned.status, abandoned.attempts) == (NoticeStatus.SENDING, 1)


def test_batch_takes_back_a_dead_workers_notice_alone_after_the_others(
    plugin_configuration, channel_USD, customer_user, webhook_receiver
):
    # given a notice whose worker died holding it, and a pending one
    plugin_configuration(**_webhook_settings(webhook_receiver))
    abandoned = _enqueue(channel_USD, customer_user, decision="abandoned")
    outbox.claim(abandoned.pk)
    Notice.objects.filter(pk=abandoned.pk).update(
        claimed_until=timezone.now() - timedelta(seconds=1)
    )
    pending = _enqueue(channel_USD, customer_user, decision="pending")

    # when the sweep's batch has both
    outcomes = tasks.deliver_notices_task([str(abandoned.pk), str(pending.pk)])

    # then both are sent once, the dead worker's last
    assert outcomes == {"sent": 2}
    assert [r.headers["Idempotency-Key"] for r in webhook_receiver.requests] == [
        pending.idempotency_key,
        abandoned.idempotency_key,
    ]
    abandoned.refresh_from_db()
    pending.refresh_from_db()
    assert (abandoned.status, abandoned.attempts) == (NoticeStatus.SENT, 2)
    assert (pending.status, pending.attempts) == (NoticeStatus.SENT, 1)
    assert ServiceHistoryEntry.objects.filter(type=EntryType.NOTICE_SENT).count() == 2


def test_sent_mark_and_history_entry_are_written_together_or_not_at_all(
    plugin_configuration, channel_USD, customer_user, webhook_receiver
):
    # given a delivery whose claim ran out and was taken over by another
    plugin_configuration(**_webhook_settings(webhook_receiver))
    notice = _enqueue(channel_USD, customer_user)
    stale = outbox.claim(notice.pk)
    Notice.objects.filter(pk=notice.pk).update(
        claimed_until=timezone.now() - timedelta(seconds=1)
    )
    holder = outbox.claim(notice.pk)

    # when the stale delivery reports it sent
    stale_entry = events.notice_entry(stale, contact_channel=ContactChannel.CHAT)
    is_stale_marked = outbox.mark_sent(stale, timezone.now(), stale_entry)

    # then neither the notice nor the history changed
    assert is_stale_marked is False
    assert ServiceHistoryEntry.objects.exists() is False
    notice.refresh_from_db()
    assert (notice.status, notice.claimed_until) == (
        NoticeStatus.SENDING,
        holder.claimed_until,
    )

    # when the holder reports it sent
    sent_at = timezone.now()
    entry = events.notice_entry(holder, contact_channel=ContactChannel.CHAT)
    is_marked = outbox.mark_sent(holder, sent_at, entry)

    # then the notice is sent and its entry holds every value
    assert is_marked is True
    notice.refresh_from_db()
    assert (notice.status, notice.sent_at, notice.claimed_until, notice.attempts) == (
        NoticeStatus.SENT,
        sent_at,
        None,
        2,
    )
    assert list(ServiceHistoryEntry.objects.values()) == [
        {
            "id": entry.id,
            "created_at": entry.created_at,
            "type": EntryType.NOTICE_SENT,
            "user_id": customer_user.pk,
            "customer_email": customer_user.email,
            "order_id": None,
            "checkout_token": None,
            "contact_channel": ContactChannel.CHAT,
            "actor": Actor.PLUGIN,
            "acting_user_id": None,
            "acting_app_id": None,
            "is_customer_visible": True,
            "message": "Your order is running late",
            "details": {
                "noticeId": str(notice.pk),
                "noticeType": "order_delay",
                "transport": "webhook",
                "attempts": 2,
            },
            "is_resolved_at_first_contact": None,
        }
    ]


def test_batch_posts_over_one_connection_and_records_each_notice(
    plugin_configuration, channel_USD, customer_user, webhook_receiver
):
    plugin_configuration(**_webhook_settings(webhook_receiver))
    notices = [_enqueue(channel_USD, customer_user, decision=str(n)) for n in range(3)]

    outcomes = tasks.deliver_notices_task([str(n.pk) for n in notices])

    assert outcomes == {"sent": 3}
    assert [r.headers["Idempotency-Key"] for r in webhook_receiver.requests] == [
        n.idempotency_key for n in notices
    ]
    assert all(r.is_signature_valid for r in webhook_receiver.requests)
    assert len({r.client_port for r in webhook_receiver.requests}) == 1
    for notice in notices:
        notice.refresh_from_db()
        assert (notice.status, notice.attempts) == (NoticeStatus.SENT, 1)
        entry = ServiceHistoryEntry.objects.get(details__noticeId=str(notice.pk))
        assert (entry.type, entry.contact_channel, entry.details["attempts"]) == (
            EntryType.NOTICE_SENT,
            ContactChannel.CHAT,
            1,
        )


def test_batch_session_keeps_saleors_filter_of_private_addresses(
    plugin_configuration, channel_USD, customer_user, webhook_receiver, monkeypatch
):
    # given Saleor's production setting: no webhooks to loopback or private addresses
    monkeypatch.setattr(HTTPClient.config, "ip_filter_enable", True)
    monkeypatch.setattr(HTTPClient.config, "ip_filter_allow_loopback_ips", False)
    plugin_configuration(**_webhook_settings(webhook_receiver))
    notice = _enqueue(channel_USD, customer_user)

    outcomes = tasks.deliver_notices_task([str(notice.pk)])

    assert outcomes == {"failed": 1}
    assert webhook_receiver.requests == []
    notice.refresh_from_db()
    assert (notice.status, notice.last_error) == (
        NoticeStatus.FAILED,
        "Webhook: InvalidIPAddress",
    )


def test_frequency_cap_in_a_batch_counts_what_the_batch_sent_before(
    plugin_configuration, channel_USD, customer_user, webhook_receiver
):
    # given two non-essential notices to one customer, allowed one a day, in a batch
    plugin_configuration(**_webhook_settings(webhook_receiver, max_notices_per_day="1"))
    first = _enqueue(channel_USD, customer_user, NoticeType.SURVEY, decision="a")
    second = _enqueue(channel_USD, customer_user, NoticeType.SURVEY, decision="b")

    outcomes = tasks.deliver_notices_task([str(first.pk), str(second.pk)])

    # then the first goes, and the second waits a day from it
    assert outcomes == {"sent": 1, "deferred": 1}
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == NoticeStatus.SENT
    assert (second.status, second.attempts) == (NoticeStatus.PENDING, 0)
    assert second.next_attempt_at == first.sent_at + timedelta(hours=24)
    assert [r.headers["Idempotency-Key"] for r in webhook_receiver.requests] == [
        first.idempotency_key
    ]


def test_batch_does_not_send_a_notice_whose_claim_ran_out_and_was_taken(
    plugin_configuration,
    channel_USD,
    customer_user,
    webhook_receiver,
    monkeypatch,
    settings,
):
    # given a batch of two whose first post outlasts the claim, and meanwhile another
    # delivery (the sweep) takes the second
    settings.SALEOR_CS_NOTICE_CLAIM_SECONDS = 2
    plugin_configuration(**_webhook_settings(webhook_receiver))
    first = _enqueue(channel_USD, customer_user, decision="first")
    second = _enqueue(channel_USD, customer_user, decision="second")
    taken_over = []
    post_webhook = tasks.transport.post_webhook

    def slow_first(url, secret, payload, *, idempotency_key, **options):
        if idempotency_key == first.idempotency_key:
            time.sleep(2.1)
            taken_over.append(outbox.claim(second.pk))
        post_webhook(url, secret, payload, idempotency_key=idempotency_key, **options)

    monkeypatch.setattr(tasks.transport, "post_webhook", slow_first)

    # when
    outcomes = tasks.deliver_notices_task([str(first.pk), str(second.pk)])

    # then only the other delivery holds the second, and the batch did not send it
    assert outcomes == {"sent": 1, "not due": 1}
    assert [r.headers["Idempotency-Key"] for r in webhook_receiver.requests] == [
        first.idempotency_key
    ]
    second.refresh_from_db()
    assert (second.status, second.attempts, second.claimed_until) == (
        NoticeStatus.SENDING,
        2,
        taken_over[0].claimed_until,
    )
    assert (
        ServiceHistoryEntry.objects.filter(details__noticeId=str(second.pk)).exists()
        is False
    )


def test_batch_renews_a_claim_that_ran_out_untaken_and_sends_once(
    plugin_configuration,
    channel_USD,
    customer_user,
    webhook_receiver,
    monkeypatch,
    settings,
):
    # given a batch of two whose first post outlasts the claim, nobody else sweeping
    settings.SALEOR_CS_NOTICE_CLAIM_SECONDS = 2
    plugin_configuration(**_webhook_settings(webhook_receiver))
    first = _enqueue(channel_USD, customer_user, decision="first")
    second = _enqueue(channel_USD, customer_user, decision="second")
    post_webhook = tasks.transport.post_webhook

    def slow_first(url, secret, payload, *, idempotency_key, **options):
        if idempotency_key == first.idempotency_key:
            time.sleep(2.1)
        post_webhook(url, secret, payload, idempotency_key=idempotency_key, **options)

    monkeypatch.setattr(tasks.transport, "post_webhook", slow_first)

    # when
    outcomes = tasks.deliver_notices_task([str(first.pk), str(second.pk)])

    # then the batch held the second again before sending it, once
    assert outcomes == {"sent": 2}
    assert [r.headers["Idempotency-Key"] for r in webhook_receiver.requests] == [
        first.idempotency_key,
        second.idempotency_key,
    ]
    second.refresh_from_db()
    assert (second.status, second.attempts) == (NoticeStatus.SENT, 1)
    assert (
        ServiceHistoryEntry.objects.filter(
            type=EntryType.NOTICE_SENT, details__noticeId=str(second.pk)
        ).count()
        == 1
    )


def test_a_staff_e_mail_of_several_addresses_reaches_each_once(
    plugin_configuration, channel_USD, smtp_receiver
):
    # given a staff e-mail setting naming two addresses
    plugin_configuration(
        **_email_settings(
            smtp_receiver, shortage_staff_email="orders@example.com,boss@example.com"
        )
    )
    staff_email = fetch.channel_settings(channel_USD.pk).shortages.staff_email
    notice, _ = outbox.enqueue_notice(
        notice_type=NoticeType.STAFF_ALERT,
        idempotency_key=idempotency_key(NoticeType.STAFF_ALERT, "two-addresses"),
        notice_settings=fetch.channel_settings(channel_USD.pk).notices,
        recipient_email=staff_email,
        context={"subject": "A customer chose", "message": "Switch the item."},
        channel=channel_USD,
    )

    # when
    outcome = tasks.deliver_notice(notice.pk)

    # then one message, to both
    assert outcome == "sent"
    (received,) = smtp_receiver.messages
    assert received["to"] == ["orders@example.com", "boss@example.com"]
    message = email.message_from_bytes(received["data"], policy=policy.default)
    assert message["To"] == "orders@example.com, boss@example.com"
