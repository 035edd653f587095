"""Outbound delivery of notices: SMTP, signed webhooks, Saleor's notifications.

Every call has a timeout, and every failure is raised as retryable (the same message
may go through later: network errors, HTTP 5xx and 429, temporary SMTP replies) or
terminal (it never will: HTTP 4xx, a rejected address, bad credentials).
"""

import email.policy
import hashlib
import hmac
import json
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from http.cookiejar import DefaultCookiePolicy

import requests
from django.core.serializers.json import DjangoJSONEncoder
from saleor.core.http_client import HTTPClient
from saleor.webhook.event_types import WebhookEventAsyncType
from saleor.webhook.utils import get_webhooks_for_event

from .config import SmtpSettings
from .domain.notices import DeliveryCause

SIGNATURE_HEADER = "X-Saleor-CS-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
NOTIFY_EVENT_PREFIX = "saleor_cs_plugin."


class DeliveryError(Exception):
    """A failed delivery; ``cause`` says why in terms the rules of staff alerts know
    (``domain.notices.DeliveryCause``)."""

    def __init__(self, message: str, *, cause: DeliveryCause = DeliveryCause.UNKNOWN):
        super().__init__(message)
        self.cause = cause


class RetryableDeliveryError(DeliveryError):
    pass


class TerminalDeliveryError(DeliveryError):
    pass


@dataclass(frozen=True)
class RenderedEmail:
    to: str
    subject: str
    text: str
    html: str
    # The language of subject and text, as Saleor writes it ("pl"); empty: unsaid.
    language: str = ""


# Header lines up to SMTP's own limit: the default policy folds a long non-ASCII
# Subject into encoded words and, in the Python Saleor runs on, can lose the space
# between two of them ("wysłanepóźniej").
_EMAIL_POLICY = email.policy.SMTP.clone(max_line_length=998)


def send_email(
    smtp: SmtpSettings, email: RenderedEmail, *, idempotency_key: str, timeout: float
) -> None:
    message = EmailMessage(policy=_EMAIL_POLICY)
    message["From"] = formataddr((smtp.sender_name, smtp.sender_address))
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = formatdate(usegmt=True)
    # The same notice always has the same Message-ID, so a mail system that sees it
    # twice (after a worker died between sending and recording) can drop the copy.
    domain = smtp.sender_address.rpartition("@")[2] or "localhost"
    message["Message-ID"] = f"<{_message_id_local_part(idempotency_key)}@{domain}>"
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    # After the content: setting it replaces every Content-* header.
    if email.language:
        message["Content-Language"] = email.language
    try:
        if smtp.use_ssl:
            connection = smtplib.SMTP_SSL(
                smtp.host,
                smtp.port,
                timeout=timeout,
                context=ssl.create_default_context(),
            )
        else:
            connection = smtplib.SMTP(smtp.host, smtp.port, timeout=timeout)
        with connection:
            if smtp.use_tls:
                connection.starttls(context=ssl.create_default_context())
            if smtp.user:
                connection.login(smtp.user, smtp.password)
            connection.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        codes = {code for code, _ in error.recipients.values()}
        cause = DeliveryCause.SMTP_RECIPIENT_REFUSED
        if all(400 <= code < 500 for code in codes):
            raise RetryableDeliveryError(
                f"SMTP: recipient deferred {sorted(codes)}", cause=cause
            ) from error
        raise TerminalDeliveryError(
            f"SMTP: recipient refused {sorted(codes)}", cause=cause
        ) from error
    except smtplib.SMTPAuthenticationError as error:
        raise TerminalDeliveryError(
            f"SMTP: authentication failed ({error.smtp_code})",
            cause=DeliveryCause.SMTP_AUTH_FAILED,
        ) from error
    except smtplib.SMTPSenderRefused as error:
        description = (
            f"SMTP: sender refused ({error.smtp_code} {_text(error.smtp_error)})"
        )
        # 530: the server wants a login before it takes any sender.
        cause = (
            DeliveryCause.SMTP_AUTH_FAILED
            if error.smtp_code == 530
            else DeliveryCause.SMTP_SENDER_REFUSED
        )
        if 400 <= error.smtp_code < 500:
            raise RetryableDeliveryError(description, cause=cause) from error
        raise TerminalDeliveryError(description, cause=cause) from error
    except smtplib.SMTPResponseException as error:
        description = f"SMTP: {error.smtp_code} {_text(error.smtp_error)}"
        cause = (
            DeliveryCause.SMTP_AUTH_FAILED
            if error.smtp_code == 530
            else DeliveryCause.SMTP_REFUSED
        )
        if 400 <= error.smtp_code < 500:
            raise RetryableDeliveryError(description, cause=cause) from error
        raise TerminalDeliveryError(description, cause=cause) from error
    except smtplib.SMTPNotSupportedError as error:
        # The server offers no STARTTLS, or no login, as the settings ask.
        raise TerminalDeliveryError(
            f"SMTP: {error}", cause=DeliveryCause.SMTP_SECURITY
        ) from error
    except ssl.SSLError as error:
        # A handshake that failed (often SSL against a STARTTLS port, or the
        # reverse) or a certificate that does not verify (also a ValueError, hence
        # caught first). Tried again, as a network fault looks alike; the
        # merchant's to fix if it lasts to the final attempt.
        raise RetryableDeliveryError(
            f"SMTP: TLS: {error}", cause=DeliveryCause.SMTP_SECURITY
        ) from error
    except (UnicodeError, ValueError) as error:
        # A host name that cannot be encoded (e.g. "smtp..example.com").
        raise TerminalDeliveryError(
            f"SMTP: bad server address: {error}", cause=DeliveryCause.SMTP_HOST_INVALID
        ) from error
    except (smtplib.SMTPException, OSError) as error:
        # Connection refused or dropped, host not found, timeouts: try again later.
        raise RetryableDeliveryError(
            f"SMTP: {type(error).__name__}: {error}",
            cause=DeliveryCause.SMTP_UNREACHABLE,
        ) from error


def _message_id_local_part(idempotency_key: str) -> str:
    return "cs-" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_session() -> requests.Session:
    """An HTTP session for several webhook posts, reusing connections (keep-alive).

    It is Saleor's ``HTTPClient`` session, so every request keeps Saleor's
    protection: the host is resolved and checked against private addresses
    (``HTTP_IP_FILTER_ENABLED``) for each request, and connections are pooled by the
    checked address; redirects are never followed. It keeps no cookies, so each post
    carries only what ``post_webhook`` gives it. Use it as a context manager.
    """
    session = HTTPClient.get_session()
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    return session


def post_webhook(
    url: str,
    secret: str,
    payload: dict,
    *,
    idempotency_key: str,
    timeout: float,
    session: requests.Session | None = None,
) -> None:
    """POST a signed notice; ``session`` (from ``webhook_session``) reuses its
    connections, otherwise the post has a connection of its own."""
    body = json.dumps(payload, cls=DjangoJSONEncoder, sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(secret, body),
        IDEMPOTENCY_HEADER: idempotency_key,
    }
    try:
        send = session.request if session is not None else HTTPClient.send_request
        response = send("POST", url, data=body, headers=headers, timeout=timeout)
    except (requests.ConnectionError, requests.Timeout) as error:
        raise RetryableDeliveryError(
            f"Webhook: {type(error).__name__}", cause=DeliveryCause.WEBHOOK_UNREACHABLE
        ) from error
    except requests.RequestException as error:
        # Refused before sending (e.g. the address is not allowed): not transient.
        # The message would repeat the URL, which may carry a token.
        raise TerminalDeliveryError(
            f"Webhook: {type(error).__name__}",
            cause=DeliveryCause.WEBHOOK_ADDRESS_REFUSED,
        ) from error
    status = response.status_code
    if 200 <= status < 300:
        return
    description = f"Webhook: HTTP {status} {_text(response.text)[:200]}".rstrip()
    if status >= 500 or status in {408, 429}:
        raise RetryableDeliveryError(
            description, cause=DeliveryCause.WEBHOOK_SERVER_ERROR
        )
    raise TerminalDeliveryError(description, cause=_webhook_refusal_cause(status))


def _webhook_refusal_cause(status: int) -> DeliveryCause:
    if status in {401, 403}:
        return DeliveryCause.WEBHOOK_UNAUTHORIZED
    if status in {404, 410}:
        return DeliveryCause.WEBHOOK_NOT_FOUND
    return DeliveryCause.WEBHOOK_REFUSED


def notify_saleor(manager, *, notice_type: str, payload: dict, channel_slug) -> None:
    """Hand the notice to Saleor's notification pipeline.

    Saleor's own e-mail plugins render only Saleor's events; the plugin's events reach
    apps subscribed to NOTIFY_USER. With no such app nothing would deliver the notice,
    so it fails instead of counting as sent.
    """
    if not get_webhooks_for_event(WebhookEventAsyncType.NOTIFY_USER).exists():
        raise TerminalDeliveryError(
            "Saleor notify: no app receives Saleor's notifications (NOTIFY_USER)",
            cause=DeliveryCause.NOTIFY_NO_APP,
        )
    manager.notify(
        NOTIFY_EVENT_PREFIX + notice_type,
        payload_func=lambda: payload,
        channel_slug=channel_slug,
    )


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return str(value)
