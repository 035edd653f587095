"""Outbound delivery of notices: SMTP, signed webhooks, Saleor's notifications.

Every call has a timeout, and every failure is raised as retryable (the same message
may go through later: network errors, HTTP 5xx and 429, temporary SMTP replies) or
terminal (it never will: HTTP 4xx, a rejected address, bad credentials).
"""

import hashlib
import hmac
import json
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr
from http.cookiejar import DefaultCookiePolicy

import requests
from django.core.serializers.json import DjangoJSONEncoder
from saleor.core.http_client import HTTPClient
from saleor.webhook.event_types import WebhookEventAsyncType
from saleor.webhook.utils import get_webhooks_for_event

from .config import SmtpSettings

SIGNATURE_HEADER = "X-Saleor-CS-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
NOTIFY_EVENT_PREFIX = "saleor_cs_plugin."


class DeliveryError(Exception):
    pass


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


def send_email(
    smtp: SmtpSettings, email: RenderedEmail, *, idempotency_key: str, timeout: float
) -> None:
    message = EmailMessage()
    message["From"] = formataddr((smtp.sender_name, smtp.sender_address))
    message["To"] = email.to
    message["Subject"] = email.subject
    # The same notice always has the same Message-ID, so a mail system that sees it
    # twice (after a worker died between sending and recording) can drop the copy.
    domain = smtp.sender_address.rpartition("@")[2] or "localhost"
    message["Message-ID"] = f"<{_message_id_local_part(idempotency_key)}@{domain}>"
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    try:
        if smtp.use_ssl:
            connection = smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=timeout, context=ssl.create_default_context()
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
        if all(400 <= code < 500 for code in codes):
            raise RetryableDeliveryError(f"SMTP: recipient deferred {sorted(codes)}") from error
        raise TerminalDeliveryError(f"SMTP: recipient refused {sorted(codes)}") from error
    except smtplib.SMTPAuthenticationError as error:
        raise TerminalDeliveryError(
            f"SMTP: authentication failed ({error.smtp_code})"
        ) from error
    except smtplib.SMTPResponseException as error:
        description = f"SMTP: {error.smtp_code} {_text(error.smtp_error)}"
        if 400 <= error.smtp_code < 500:
            raise RetryableDeliveryError(description) from error
        raise TerminalDeliveryError(description) from error
    except smtplib.SMTPNotSupportedError as error:
        raise TerminalDeliveryError(f"SMTP: {error}") from error
    except (UnicodeError, ValueError) as error:
        # A host name that cannot be encoded (e.g. "smtp..example.com").
        raise TerminalDeliveryError(f"SMTP: bad server address: {error}") from error
    except (smtplib.SMTPException, OSError) as error:
        # Connection refused or dropped, timeouts, TLS failures: try again later.
        raise RetryableDeliveryError(f"SMTP: {type(error).__name__}: {error}") from error


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
        raise RetryableDeliveryError(f"Webhook: {type(error).__name__}") from error
    except requests.RequestException as error:
        # Refused before sending (e.g. the address is not allowed): not transient.
        # The message would repeat the URL, which may carry a token.
        raise TerminalDeliveryError(f"Webhook: {type(error).__name__}") from error
    status = response.status_code
    if 200 <= status < 300:
        return
    description = f"Webhook: HTTP {status} {_text(response.text)[:200]}".rstrip()
    if status >= 500 or status in {408, 429}:
        raise RetryableDeliveryError(description)
    raise TerminalDeliveryError(description)


def notify_saleor(manager, *, notice_type: str, payload: dict, channel_slug) -> None:
    """Hand the notice to Saleor's notification pipeline.

    Saleor's own e-mail plugins render only Saleor's events; the plugin's events reach
    apps subscribed to NOTIFY_USER. With no such app nothing would deliver the notice,
    so it fails instead of counting as sent.
    """
    if not get_webhooks_for_event(WebhookEventAsyncType.NOTIFY_USER).exists():
        raise TerminalDeliveryError(
            "Saleor notify: no app receives Saleor's notifications (NOTIFY_USER "
            "webhook); choose the email or webhook transport, or install such an app."
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
