"""Notices that fail for a reason only the merchant can fix raise one staff alert per
cause and channel, with the latest error and the setting to change; other failures
raise none. Real failing peers: Saleor's notifications with no app, an SMTP server
refusing the login, the sender or the recipient, a webhook receiver answering 401."""

import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from django.db import DatabaseError
from django.utils import timezone
from saleor.core.http_client import HTTPClient

from conftest import WEBHOOK_SECRET
from peers import webhook_channel
from saleor_cs_plugin import fetch, outbox, staff_alerts, tasks
from saleor_cs_plugin.config import FIELDS
from saleor_cs_plugin.domain.alerts import AlertKind
from saleor_cs_plugin.domain.history import EntryType
from saleor_cs_plugin.domain.notices import NoticeStatus, NoticeType, idempotency_key
from saleor_cs_plugin.models import Notice, ServiceHistoryEntry, StaffAlert

pytestmark = pytest.mark.django_db

LABEL = {field.name: field.label for field in FIELDS}
RETRY_ADVICE = (
    " Failed notices stay failed: once this is fixed, send them again "
    "(serviceNoticeRetry) and mark this alert done."
)


class RefusingSmtp:
    """aiosmtpd on a free loopback port that refuses the login, the sender or the
    recipient, as a real server answers."""

    def __init__(self, *, refuse):
        self.refuse = refuse
        self.messages = []
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=self.authenticate,
            auth_require_tls=False,
        )

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        # Not handled here: aiosmtpd answers "535 5.7.8 Authentication credentials
        # invalid" to a failed login.
        return AuthResult(success=self.refuse != "login", handled=False)

    async def handle_MAIL(self, server, session, envelope, address, options):  # noqa: N802
        if self.refuse == "sender":
            return "553 5.7.1 Sender address not allowed for this account"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        if self.refuse == "recipient":
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(envelope.content)
        return "250 Message accepted for delivery"

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc_info):
        self.controller.stop()


def _email_settings(port, **extra):
    return {
        "notice_transports": "*=email",
        "smtp_host": "127.0.0.1",
        "smtp_port": str(port),
        "smtp_security": "none",
        "smtp_user": "shop",
        "smtp_password": "wrong-password",
        "sender_address": "care@example.com",
        "quiet_hours": "",
        **extra,
    }


def _webhook_settings(url, **extra):
    return {
        "notice_transports": "*=webhook",
        "webhook_url": url,
        "webhook_secret": WEBHOOK_SECRET,
        "quiet_hours": "",
        **extra,
    }


def _notices(channel, user, count, notice_type=NoticeType.ORDER_DELAY):
    settings = fetch.channel_settings(channel.pk).notices
    return [
        outbox.enqueue_notice(
            notice_type=notice_type,
            idempotency_key=idempotency_key(notice_type, channel.pk, user.email, n),
            notice_settings=settings,
            recipient_email=user.email,
            context={"subject": f"Notice {n}", "message": "Your order is late."},
            channel=channel,
            user=user,
        )[0]
        for n in range(count)
    ]


def _deliver(notices):
    return tasks.deliver_notices_task([str(notice.pk) for notice in notices])


def _alert_values():
    return list(
        StaffAlert.objects.values(
            "kind",
            "cause_key",
            "channel_id",
            "order_id",
            "title",
            "message",
            "details",
            "occurrences",
            "resolved_at",
        )
    )


def test_saleor_notify_with_no_app_raises_one_alert_for_three_failed_notices(
    plugin_configuration, channel_USD, customer_user
):
    # given the default transport, no app listening to Saleor's notifications, and
    # a staff address for e-mailed alerts
    plugin_configuration(quiet_hours="", shortage_staff_email="ops@example.com")
    notices = _notices(channel_USD, customer_user, 3)

    # when the worker tries each
    outcomes = _deliver(notices)

    # then every notice failed, and staff have one alert, seen three times
    error = "Saleor notify: no app receives Saleor's notifications (NOTIFY_USER)"
    assert outcomes == {"failed": 3}
    assert set(Notice.objects.values_list("status", flat=True)) == {NoticeStatus.FAILED}
    assert _alert_values() == [
        {
            "kind": AlertKind.NOTICE_DELIVERY,
            "cause_key": f"notice_delivery:{channel_USD.pk}:saleor_notify:notify_no_app",
            "channel_id": channel_USD.pk,
            "order_id": None,
            "title": "Notices through Saleor's notifications fail: no app receives "
            "Saleor's notifications; choose e-mail or webhook, or install a "
            "notification app",
            "message": "In this channel, notices through Saleor's notifications "
            "fail: no app receives Saleor's notifications. Latest error: "
            f"{error}. The notice went to Saleor's notifications, and no installed "
            "app subscribes to Saleor's NOTIFY_USER event, so nothing would deliver "
            f'it. Set "{LABEL["notice_transports"]}" to email (and fill in the SMTP '
            "settings) or webhook (and fill in the webhook settings), or install an "
            "app that sends Saleor's notifications." + RETRY_ADVICE,
            "details": {
                "transport": "saleor_notify",
                "cause": "notify_no_app",
                "lastError": error,
                "noticeType": "order_delay",
            },
            "occurrences": 3,
            "resolved_at": None,
        }
    ]
    # No e-mail to staff about it: the inbox is the one place it is told.
    assert Notice.objects.filter(notice_type=NoticeType.STAFF_ALERT).exists() is False


def test_an_smtp_server_refusing_the_login_raises_one_alert_counting_each_notice(
    plugin_configuration, channel_USD, customer_user
):
    with RefusingSmtp(refuse="login") as server:
        plugin_configuration(**_email_settings(server.port))
        notices = _notices(channel_USD, customer_user, 2)

        outcomes = _deliver(notices)

    assert outcomes == {"failed": 2}
    assert server.messages == []
    [alert] = _alert_values()
    assert alert == {
        "kind": AlertKind.NOTICE_DELIVERY,
        "cause_key": f"notice_delivery:{channel_USD.pk}:email:smtp_auth_failed",
        "channel_id": channel_USD.pk,
        "order_id": None,
        "title": "E-mail notices fail: the SMTP server refused the login; check the "
        "SMTP user and password",
        "message": "In this channel, e-mail notices fail: the SMTP server refused the "
        "login. Latest error: SMTP: authentication failed (535). "
        f'Check "{LABEL["smtp_user"]}" and "{LABEL["smtp_password"]}": the mail '
        "server did not accept them." + RETRY_ADVICE,
        "details": {
            "transport": "email",
            "cause": "smtp_auth_failed",
            "lastError": "SMTP: authentication failed (535)",
            "noticeType": "order_delay",
        },
        "occurrences": 2,
        "resolved_at": None,
    }


def test_a_webhook_receiver_answering_401_raises_one_alert_counting_each_notice(
    plugin_configuration, channel_USD, customer_user, webhook_receiver
):
    plugin_configuration(**_webhook_settings(webhook_receiver.url))
    webhook_receiver.planned_statuses = [401, 401, 401]
    notices = _notices(channel_USD, customer_user, 3)

    outcomes = _deliver(notices)

    assert outcomes == {"failed": 3}
    assert len(webhook_receiver.requests) == 3
    [alert] = StaffAlert.objects.all()
    assert (alert.cause_key, alert.occurrences, alert.resolved_at) == (
        f"notice_delivery:{channel_USD.pk}:webhook:webhook_unauthorized",
        3,
        None,
    )
    assert alert.title == (
        "Webhook notices fail: the receiver refused the request as unauthorized; "
        "check the webhook secret and URL"
    )
    assert alert.message == (
        "In this channel, webhook notices fail: the receiver refused the request as "
        "unauthorized. Latest error: Webhook: HTTP 401 planned answer. "
        f'Check "{LABEL["webhook_secret"]}" (the receiver checks the '
        f'X-Saleor-CS-Signature header with it) and "{LABEL["webhook_url"]}".'
        + RETRY_ADVICE
    )
    assert alert.details == {
        "transport": "webhook",
        "cause": "webhook_unauthorized",
        "lastError": "Webhook: HTTP 401 planned answer",
        "noticeType": "order_delay",
    }


def test_a_customers_refused_address_raises_no_alert(
    plugin_configuration, channel_USD, customer_user
):
    with RefusingSmtp(refuse="recipient") as server:
        plugin_configuration(**_email_settings(server.port, smtp_user=""))
        notices = _notices(channel_USD, customer_user, 2)

        outcomes = _deliver(notices)

    assert outcomes == {"failed": 2}
    assert set(Notice.objects.values_list("last_error", flat=True)) == {
        "SMTP: recipient refused [550]"
    }
    assert StaffAlert.objects.exists() is False


def test_a_webhook_receiver_refusing_one_notice_raises_no_alert(
    plugin_configuration, channel_USD, customer_user, webhook_receiver
):
    plugin_configuration(**_webhook_settings(webhook_receiver.url))
    webhook_receiver.planned_statuses = [422]

    assert _deliver(_notices(channel_USD, customer_user, 1)) == {"failed": 1}

    assert StaffAlert.objects.exists() is False


def test_an_smtp_server_refusing_the_sender_raises_its_alert(
    plugin_configuration, channel_USD, customer_user
):
    with RefusingSmtp(refuse="sender") as server:
        plugin_configuration(**_email_settings(server.port, smtp_user=""))

        assert _deliver(_notices(channel_USD, customer_user, 1)) == {"failed": 1}

    [alert] = StaffAlert.objects.all()
    assert (
        alert.cause_key == f"notice_delivery:{channel_USD.pk}:email:smtp_sender_refused"
    )
    assert alert.details["lastError"] == (
        "SMTP: sender refused (553 5.7.1 Sender address not allowed for this account)"
    )
    assert alert.message.endswith(
        f'Check "{LABEL["sender_address"]}": use an address the SMTP account may '
        "send from." + RETRY_ADVICE
    )


def test_an_unreachable_smtp_server_raises_its_alert_once_the_attempts_run_out(
    plugin_configuration, channel_USD, customer_user, smtp_receiver
):
    # given the mail server is down, and two attempts allowed
    plugin_configuration(**_email_settings(smtp_receiver.port, max_attempts="2"))
    smtp_receiver.stop()
    smtp_receiver.stop = lambda: None  # already stopped
    [notice] = _notices(channel_USD, customer_user, 1)

    # when the first attempt fails, then the last
    first = tasks.deliver_notice(notice.pk)
    alerts_after_first = StaffAlert.objects.count()
    Notice.objects.filter(pk=notice.pk).update(next_attempt_at=timezone.now())
    last = tasks.deliver_notice(notice.pk)

    # then only the final failure raises the alert
    assert (first, alerts_after_first, last) == ("retry", 0, "failed")
    [alert] = StaffAlert.objects.all()
    assert (alert.cause_key, alert.occurrences) == (
        f"notice_delivery:{channel_USD.pk}:email:smtp_unreachable",
        1,
    )
    assert alert.details["lastError"] == (
        "SMTP: ConnectionRefusedError: [Errno 111] Connection refused"
    )


def test_a_webhook_address_saleor_does_not_post_to_raises_its_alert(
    plugin_configuration, channel_USD, customer_user, webhook_receiver, monkeypatch
):
    # given Saleor's production setting: no webhooks to loopback addresses
    monkeypatch.setattr(HTTPClient.config, "ip_filter_enable", True)
    monkeypatch.setattr(HTTPClient.config, "ip_filter_allow_loopback_ips", False)
    plugin_configuration(**_webhook_settings(webhook_receiver.url))

    assert _deliver(_notices(channel_USD, customer_user, 2)) == {"failed": 2}

    assert webhook_receiver.requests == []
    [alert] = StaffAlert.objects.all()
    assert (alert.cause_key, alert.occurrences, alert.details["lastError"]) == (
        f"notice_delivery:{channel_USD.pk}:webhook:webhook_address_refused",
        2,
        "Webhook: InvalidIPAddress",
    )


def test_invalid_channel_settings_raise_one_alert_whatever_the_transport(
    plugin_configuration, channel_USD, customer_user
):
    # given settings saved before a rule changed, now invalid
    configuration = plugin_configuration(
        **{
            **_webhook_settings("https://bridge.example.com/notices"),
            "notice_transports": "*=webhook\nsurvey=saleor_notify",
        }
    )
    notices = _notices(channel_USD, customer_user, 1) + _notices(
        channel_USD, customer_user, 1, NoticeType.SURVEY
    )
    for item in configuration.configuration:
        if item["name"] == "max_attempts":
            item["value"] = "many"
    configuration.save(update_fields=["configuration"])

    assert _deliver(notices) == {"failed": 2}

    [alert] = StaffAlert.objects.all()
    assert (alert.cause_key, alert.occurrences) == (
        f"notice_delivery:{channel_USD.pk}:any:settings_invalid",
        2,
    )
    assert alert.title == (
        "Notices fail: the channel's plugin settings are invalid; correct the plugin "
        "settings"
    )
    assert alert.details["lastError"].startswith(
        "The channel's saved settings are invalid: "
    )


def test_each_channel_has_its_own_alert(
    plugin_configuration, channel_USD, customer_user, webhook_receiver
):
    plugin_configuration(**_webhook_settings(webhook_receiver.url))
    other = webhook_channel(webhook_receiver.url, WEBHOOK_SECRET)
    webhook_receiver.planned_statuses = [404] * 3
    notices = _notices(channel_USD, customer_user, 2) + _notices(
        other, customer_user, 1
    )

    assert _deliver(notices) == {"failed": 3}

    assert sorted(StaffAlert.objects.values_list("cause_key", "occurrences")) == sorted(
        [
            (f"notice_delivery:{channel_USD.pk}:webhook:webhook_not_found", 2),
            (f"notice_delivery:{other.pk}:webhook:webhook_not_found", 1),
        ]
    )


def test_a_cause_seen_again_after_its_alert_was_done_opens_a_new_one(
    plugin_configuration, channel_USD, customer_user, webhook_receiver
):
    plugin_configuration(**_webhook_settings(webhook_receiver.url))
    webhook_receiver.planned_statuses = [403, 403]
    first, second = _notices(channel_USD, customer_user, 2)
    _deliver([first])
    done = StaffAlert.objects.get()
    assert staff_alerts.resolve(done.pk, now=timezone.now()) is True

    _deliver([second])

    reopened = StaffAlert.objects.exclude(pk=done.pk).get()
    assert (reopened.cause_key, reopened.occurrences, reopened.resolved_at) == (
        done.cause_key,
        1,
        None,
    )


def test_a_fault_raising_the_alert_never_loses_the_failure_mark(
    plugin_configuration, channel_USD, customer_user, webhook_receiver, monkeypatch
):
    # given the inbox cannot be written
    plugin_configuration(**_webhook_settings(webhook_receiver.url))
    webhook_receiver.planned_statuses = [401]

    def refuse(**kwargs):
        raise DatabaseError("the inbox table is locked")

    monkeypatch.setattr(staff_alerts, "raise_alert", refuse)
    [notice] = _notices(channel_USD, customer_user, 1)

    # when
    outcome = tasks.deliver_notice(notice.pk)

    # then the notice is failed, recorded in the history, and the worker went on
    assert outcome == "failed"
    notice.refresh_from_db()
    assert (notice.status, notice.last_error) == (
        NoticeStatus.FAILED,
        "Webhook: HTTP 401 planned answer",
    )
    entry = ServiceHistoryEntry.objects.get()
    assert (entry.type, entry.details["error"]) == (
        EntryType.NOTICE_FAILED,
        "Webhook: HTTP 401 planned answer",
    )
    assert StaffAlert.objects.exists() is False
