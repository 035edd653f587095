"""Which failed deliveries only the merchant can fix, and the staff alert they raise."""

import pytest

from saleor_cs_plugin.domain.alerts import (
    PERMISSION_BY_KIND,
    AlertDraft,
    AlertKind,
    is_merchant_cause,
    kinds_allowed,
    notice_delivery_alert,
    conversation_waiting_alert,
    survey_call_back_alert,
)
from saleor_cs_plugin.domain.notices import DeliveryCause, Transport

LABELS = {
    "notice_transports": "Notices · How notices are sent",
    "smtp_host": "E-mail · SMTP host",
    "smtp_port": "E-mail · SMTP port",
    "smtp_user": "E-mail · SMTP user",
    "smtp_password": "E-mail · SMTP password",
    "smtp_security": "E-mail · SMTP security",
    "sender_address": "E-mail · Sender address",
    "webhook_url": "Webhook · URL",
    "webhook_secret": "Webhook · Secret",
    "subject_order_delay": "Templates · Subject: order delay",
    "body_order_delay": "Templates · Body: order delay",
}


@pytest.mark.parametrize(
    ("cause", "is_merchants"),
    [
        (DeliveryCause.NOTIFY_NO_APP, True),
        (DeliveryCause.SMTP_AUTH_FAILED, True),
        (DeliveryCause.SMTP_UNREACHABLE, True),
        (DeliveryCause.SMTP_SECURITY, True),
        (DeliveryCause.SMTP_HOST_INVALID, True),
        (DeliveryCause.SMTP_SENDER_REFUSED, True),
        (DeliveryCause.WEBHOOK_UNAUTHORIZED, True),
        (DeliveryCause.WEBHOOK_NOT_FOUND, True),
        (DeliveryCause.WEBHOOK_ADDRESS_REFUSED, True),
        (DeliveryCause.WEBHOOK_UNREACHABLE, True),
        (DeliveryCause.WEBHOOK_SERVER_ERROR, True),
        (DeliveryCause.SETTINGS_INVALID, True),
        (DeliveryCause.TEMPLATE_INVALID, True),
        # A customer's bad address, or one notice the receiver refused.
        (DeliveryCause.SMTP_RECIPIENT_REFUSED, False),
        (DeliveryCause.SMTP_REFUSED, False),
        (DeliveryCause.WEBHOOK_REFUSED, False),
        (DeliveryCause.ABANDONED, False),
        (DeliveryCause.UNKNOWN, False),
    ],
)
def test_only_causes_the_merchant_can_fix_raise_an_alert(cause, is_merchants):
    draft = notice_delivery_alert(
        cause=cause,
        transport=Transport.EMAIL,
        channel_id=7,
        last_error="SMTP: something",
        notice_type="order_delay",
        labels=LABELS,
    )
    assert is_merchant_cause(cause) is is_merchants
    assert (draft is not None) is is_merchants


@pytest.mark.parametrize(
    ("cause", "transport", "last_error", "cause_key", "title", "fix"),
    [
        (
            DeliveryCause.NOTIFY_NO_APP,
            Transport.SALEOR_NOTIFY,
            "Saleor notify: no app receives Saleor's notifications (NOTIFY_USER)",
            "notice_delivery:7:saleor_notify:notify_no_app",
            "Notices through Saleor's notifications fail: no app receives Saleor's "
            "notifications; choose e-mail or webhook, or install a notification app",
            "The notice went to Saleor's notifications, and no installed app "
            "subscribes to Saleor's NOTIFY_USER event, so nothing would deliver it. "
            'Set "Notices · How notices are sent" to email (and fill in the SMTP '
            "settings) or webhook (and fill in the webhook settings), or install an "
            "app that sends Saleor's notifications.",
        ),
        (
            DeliveryCause.SMTP_AUTH_FAILED,
            Transport.EMAIL,
            "SMTP: authentication failed (535)",
            "notice_delivery:7:email:smtp_auth_failed",
            "E-mail notices fail: the SMTP server refused the login; check the SMTP "
            "user and password",
            'Check "E-mail · SMTP user" and "E-mail · SMTP password": the mail server '
            "did not accept them.",
        ),
        (
            DeliveryCause.SMTP_UNREACHABLE,
            Transport.EMAIL,
            "SMTP: ConnectionRefusedError: [Errno 111] Connection refused",
            "notice_delivery:7:email:smtp_unreachable",
            "E-mail notices fail: the SMTP server cannot be reached; check the SMTP "
            "host and port",
            'Check "E-mail · SMTP host" and "E-mail · SMTP port", and that the mail '
            "server accepts connections from the store; every delivery attempt failed.",
        ),
        (
            DeliveryCause.SMTP_SENDER_REFUSED,
            Transport.EMAIL,
            "SMTP: sender refused (553 not yours)",
            "notice_delivery:7:email:smtp_sender_refused",
            "E-mail notices fail: the SMTP server refused the sender address; check "
            "the sender address",
            'Check "E-mail · Sender address": use an address the SMTP account may '
            "send from.",
        ),
        (
            DeliveryCause.WEBHOOK_UNAUTHORIZED,
            Transport.WEBHOOK,
            "Webhook: HTTP 401 bad signature",
            "notice_delivery:7:webhook:webhook_unauthorized",
            "Webhook notices fail: the receiver refused the request as unauthorized; "
            "check the webhook secret and URL",
            'Check "Webhook · Secret" (the receiver checks the X-Saleor-CS-Signature '
            'header with it) and "Webhook · URL".',
        ),
        (
            DeliveryCause.WEBHOOK_NOT_FOUND,
            Transport.WEBHOOK,
            "Webhook: HTTP 404",
            "notice_delivery:7:webhook:webhook_not_found",
            "Webhook notices fail: the webhook address does not exist; check the "
            "webhook URL",
            'Check "Webhook · URL": the receiver answered that nothing is at that '
            "address.",
        ),
        (
            DeliveryCause.WEBHOOK_ADDRESS_REFUSED,
            Transport.WEBHOOK,
            "Webhook: InvalidIPAddress",
            "notice_delivery:7:webhook:webhook_address_refused",
            "Webhook notices fail: the webhook address is not allowed; check the "
            "webhook URL",
            'Check "Webhook · URL": Saleor posts only to valid, public http(s) '
            "addresses.",
        ),
        (
            # Whatever the notice's transport: the channel's settings are at fault.
            DeliveryCause.SETTINGS_INVALID,
            Transport.WEBHOOK,
            "The channel's saved settings are invalid: time_zone: 'Mars/Base' is not "
            "a time zone",
            "notice_delivery:7:any:settings_invalid",
            "Notices fail: the channel's plugin settings are invalid; correct the "
            "plugin settings",
            "Open the plugin's settings of this channel and correct the setting the "
            "error names.",
        ),
        (
            DeliveryCause.TEMPLATE_INVALID,
            Transport.EMAIL,
            "The template uses $first_name, which this notice does not have",
            "notice_delivery:7:email:template_invalid:order_delay",
            "E-mail notices fail: a notice template is invalid; correct the template",
            'Correct "Templates · Subject: order delay" or "Templates · Body: order '
            'delay".',
        ),
    ],
)
def test_the_alert_names_the_transport_the_latest_error_and_the_setting_to_change(
    cause, transport, last_error, cause_key, title, fix
):
    draft = notice_delivery_alert(
        cause=cause,
        transport=transport,
        channel_id=7,
        last_error=last_error,
        notice_type="order_delay",
        labels=LABELS,
    )
    subject = title.split(" fail: ")[0]
    what = title.split(" fail: ")[1].split("; ")[0]
    assert draft == AlertDraft(
        cause_key=cause_key,
        title=title,
        message=(
            f"In this channel, {subject[0].lower()}{subject[1:]} fail: {what}. "
            f"Latest error: {last_error}. {fix} Failed notices stay failed: once "
            "this is fixed, send them again (serviceNoticeRetry) and mark this alert "
            "done."
        ),
        details={
            "transport": transport,
            "cause": cause,
            "lastError": last_error,
            "noticeType": "order_delay",
        },
    )


def test_the_alert_message_in_full():
    draft = notice_delivery_alert(
        cause=DeliveryCause.SMTP_AUTH_FAILED,
        transport=Transport.EMAIL,
        channel_id=3,
        last_error="SMTP: authentication failed (535).",
        notice_type="order_delay",
        labels=LABELS,
    )
    assert draft.message == (
        "In this channel, e-mail notices fail: the SMTP server refused the login. "
        'Latest error: SMTP: authentication failed (535). Check "E-mail · SMTP user" '
        'and "E-mail · SMTP password": the mail server did not accept them. Failed '
        "notices stay failed: once this is fixed, send them again "
        "(serviceNoticeRetry) and mark this alert done."
    )


def test_one_cause_key_per_cause_and_channel_whatever_the_notice():
    def key(channel_id, notice_type, error):
        return notice_delivery_alert(
            cause=DeliveryCause.WEBHOOK_UNAUTHORIZED,
            transport=Transport.WEBHOOK,
            channel_id=channel_id,
            last_error=error,
            notice_type=notice_type,
            labels=LABELS,
        ).cause_key

    assert key(1, "order_delay", "Webhook: HTTP 401") == key(
        1, "stock_shortage", "Webhook: HTTP 403"
    )
    assert key(1, "order_delay", "Webhook: HTTP 401") != key(2, "order_delay", "x")


def test_a_setting_without_a_label_is_named_by_its_name():
    draft = notice_delivery_alert(
        cause=DeliveryCause.SMTP_SECURITY,
        transport=Transport.EMAIL,
        channel_id=1,
        last_error="SMTP: TLS: [SSL: WRONG_VERSION_NUMBER] wrong version number",
        notice_type="order_delay",
        labels={},
    )
    assert 'Check "smtp_security" against "smtp_port": usually STARTTLS on port ' in (
        draft.message
    )


# Survey call backs ----------------------------------------------------------------


def test_a_survey_call_back_is_read_with_manage_orders():
    assert PERMISSION_BY_KIND[AlertKind.SURVEY_CALL_BACK] == "MANAGE_ORDERS"
    assert kinds_allowed(frozenset({"MANAGE_ORDERS"})) == {
        AlertKind.SHORTAGE_CHOICE,
        AlertKind.SURVEY_CALL_BACK,
        AlertKind.CONVERSATION_WAITING,
        AlertKind.PROBLEM_REPORTED,
    }


def test_the_call_back_alert_of_a_completed_order_in_full():
    draft = survey_call_back_alert(
        survey_id="U3VydmV5OjE=",
        moment="completed",
        problem="",
        order_number="123",
        customer_email="ada@example.com",
        what_went_wrong=["late", "damaged"],
        comment='It came a week late & the box was "crushed".',
    )

    assert draft == AlertDraft(
        cause_key="survey_call_back:U3VydmV5OjE=",
        title="Order #123: call the customer back about their survey answer",
        message=(
            "Order #123: the customer was not satisfied with how the order was "
            "handled. What went wrong: It was late, Something arrived damaged. "
            'Their words: "It came a week late & the box was "crushed"." Please call '
            "them back, and log the call with serviceContactLog naming this survey "
            "(U3VydmV5OjE=); logging it marks this alert done."
        ),
        details={
            "surveyId": "U3VydmV5OjE=",
            "moment": "completed",
            "problem": None,
            "whatWentWrong": ["late", "damaged"],
        },
    )


@pytest.mark.parametrize(
    ("problem", "said"),
    [
        ("delay", "the delay of their order"),
        ("stock_shortage", "the missing item of their order"),
        ("coupon", "the promo code that stopped working"),
        ("contact", "their recent request"),
    ],
)
def test_the_call_back_alert_after_a_problem_names_the_problem(problem, said):
    draft = survey_call_back_alert(
        survey_id="U3VydmV5OjI=",
        moment="after_problem",
        problem=problem,
        order_number="7",
        customer_email="ada@example.com",
        what_went_wrong=[],
        comment="",
    )

    assert draft.message.startswith(
        f"Order #7: the customer says {said} was not handled the way they wanted. "
        "Please call them back"
    )
    assert draft.details["problem"] == problem


def test_a_call_back_without_an_order_names_the_customer_e_mail():
    draft = survey_call_back_alert(
        survey_id="U3VydmV5OjM=",
        moment="after_problem",
        problem="contact",
        order_number="",
        customer_email="ada@example.com",
        what_went_wrong=[],
        comment="",
    )

    assert draft.title == "Call the customer back about their survey answer"
    assert draft.message.startswith(
        "A customer: the customer says their recent request was not handled the way "
        "they wanted. Customer: ada@example.com. Please"
    )


@pytest.mark.parametrize(
    ("order_number", "sender", "title", "message"),
    [
        (
            "1042",
            "+48601000001",
            "Order #1042: customer waiting past the sms answer target",
            "The customer (+48601000001) has waited on sms since 1 Dec 2026, 10:00 "
            "Europe/Warsaw, longer than the target of 1 hour in working hours. "
            "Answer them; marking this alert done does not answer them.",
        ),
        (
            "",
            "",
            "Customer waiting past the sms answer target",
            "The customer has waited on sms since 1 Dec 2026, 10:00 Europe/Warsaw, "
            "longer than the target of 1 hour in working hours. Answer them; marking "
            "this alert done does not answer them.",
        ),
    ],
)
def test_a_waiting_conversation_alert_says_since_when_and_the_target(
    order_number, sender, title, message
):
    draft = conversation_waiting_alert(
        conversation_id="c-1",
        contact_channel="sms",
        sender=sender,
        waiting_since_text="1 Dec 2026, 10:00 Europe/Warsaw",
        target_text="1 hour",
        order_number=order_number,
        waiting_period="2026-12-01T09:00:00+00:00",
    )

    assert draft == AlertDraft(
        cause_key="conversation_waiting:c-1:2026-12-01T09:00:00+00:00",
        title=title,
        message=message,
        details={
            "conversationId": "c-1",
            "contactChannel": "sms",
            "waitingSince": "2026-12-01T09:00:00+00:00",
        },
    )
