"""What the security tests share: the store's secrets with every form they could
leak in, an SMTP server that refuses every login, and the places a secret must
never reach (log records, database rows, broker messages, text) searched for them."""

import base64
import hashlib
import json
import logging
import secrets
import socket
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import redis
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from django.db import connection
from django.utils import timezone
from saleor.celeryconf import app

from peers import webhook_channel
from saleor_cs_plugin import fetch, outbox
from saleor_cs_plugin.domain.notices import NoticeType, idempotency_key
from saleor_cs_plugin.models import Notice

# The one table that holds the secrets by design: Saleor's plugin settings.
SETTINGS_TABLE = "plugins_pluginconfiguration"
# The test's own SMTP server logs every line it receives at DEBUG, the login
# included: it is the peer, not the store.
PEER_LOGGERS = ("mail.log",)


@dataclass(frozen=True)
class StoreSecrets:
    """The secrets of a store under test, each unique to the test."""

    smtp_password: str
    webhook_secret: str
    secret_key: str
    # Keys the plugin derives from SECRET_KEY (name -> raw bytes).
    derived_keys: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def new(cls, secret_key: str, signing_salts=(), derived=None) -> "StoreSecrets":
        keys = {
            # Django's signing key of a salt: sha256(salt + "signer" + SECRET_KEY).
            f"signing key of {salt}": hashlib.sha256(
                (salt + "signer" + secret_key).encode()
            ).digest()
            for salt in signing_salts
        }
        keys.update(derived or {})
        return cls(
            smtp_password=f"smtp-pw-{secrets.token_hex(12)}",
            webhook_secret=f"whsec-{secrets.token_hex(16)}",
            secret_key=secret_key,
            derived_keys=keys,
        )

    def needles(self) -> dict[str, str]:
        """Every form in which a secret could be written: name -> text."""
        found = {
            "SMTP password": self.smtp_password,
            "webhook secret": self.webhook_secret,
            "SECRET_KEY": self.secret_key,
        }
        for name, value in (
            ("SMTP password", self.smtp_password),
            ("webhook secret", self.webhook_secret),
        ):
            found[f"{name} (base64)"] = _b64(value.encode())
        for name, key in self.derived_keys.items():
            found[f"{name} (hex)"] = key.hex()
            found[f"{name} (base64)"] = _b64(key)
        return found


def _b64(raw: bytes) -> str:
    # Without padding, so that the secret is found inside a longer encoded text
    # only where it starts at a multiple of three bytes; the plain forms cover
    # the rest.
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def leaks(text: str, store: StoreSecrets) -> list[str]:
    """The names of the secrets (in any form) that ``text`` contains."""
    found = []
    for name, needle in store.needles().items():
        standard = needle.replace("-", "+").replace("_", "/")
        if needle in text or (name.endswith("(base64)") and standard in text):
            found.append(name)
    return found


class RecordsEverything(logging.Handler):
    """Keeps every record of every logger, formatted with its traceback."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record):
        self.records.append(record)

    def texts(self) -> list[str]:
        return [
            self.format(record)
            for record in self.records
            if not record.name.startswith(PEER_LOGGERS)
        ]


@contextmanager
def all_log_records():
    """Every logger at DEBUG, each record kept (those of loggers that do not
    propagate too), as a handler on the root logger and on every such logger."""
    handler = RecordsEverything()
    root = logging.getLogger()
    loggers = [root] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    saved = [(logger, logger.level, logger.disabled) for logger in loggers]
    attached = [root] + [logger for logger in loggers[1:] if not logger.propagate]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
    for logger in attached:
        logger.addHandler(handler)
    try:
        yield handler
    finally:
        for logger in attached:
            logger.removeHandler(handler)
        for logger, level, disabled in saved:
            logger.setLevel(level)
            logger.disabled = disabled


def database_leaks(store: StoreSecrets) -> dict[str, list[str]]:
    """{table: names of secrets found in its rows} for every table but the
    plugin settings' own, read as the current connection sees them (uncommitted
    rows of the test included)."""
    found = {}
    tables = [
        name
        for name in connection.introspection.table_names(include_views=False)
        if name != SETTINGS_TABLE
    ]
    with connection.cursor() as cursor:
        for name, needle in store.needles().items():
            for table in tables:
                cursor.execute(
                    f'SELECT 1 FROM "{table}" AS row'  # noqa: S608 - table names from introspection
                    " WHERE strpos(row::text, %s) > 0 LIMIT 1",
                    [needle],
                )
                if cursor.fetchone():
                    found.setdefault(table, []).append(name)
    return found


@dataclass(frozen=True)
class BrokerMessage:
    """A task message as Celery left it in Redis: the raw text, the task's name
    and its decoded arguments."""

    raw: str
    task: str
    args: list
    kwargs: dict

    @property
    def text(self) -> str:
        return self.raw + json.dumps([self.args, self.kwargs])


def broker_messages(broker_url: str, *keys: str) -> list[BrokerMessage]:
    """The task messages waiting in the Redis lists ``keys`` (queues), oldest
    first, and in kombu's ``unacked`` hash (taken by a worker, not yet
    acknowledged)."""
    client = redis.Redis.from_url(broker_url)
    # kombu pushes to the head of a queue's list and takes from its tail.
    raws = [raw for key in keys for raw in reversed(client.lrange(key, 0, -1))]
    for value in client.hvals("unacked"):
        # Only this run's queues: workers other tests killed leave theirs here.
        if json.loads(value)[2] in keys:
            raws.append(value)
    messages = []
    for raw in raws:
        text = raw.decode()
        envelope = json.loads(text)
        if isinstance(envelope, list):
            # unacked holds [message, exchange, routing key].
            envelope = envelope[0]
        body = json.loads(base64.b64decode(envelope["body"]))
        args, kwargs = body[0], body[1]
        messages.append(
            BrokerMessage(
                raw=text,
                task=envelope["headers"]["task"],
                args=args,
                kwargs=kwargs,
            )
        )
    return messages


def _refuse_every_login(server, session, envelope, mechanism, auth_data):
    return AuthResult(success=False, handled=False)


class RefusingSmtpServer:
    """aiosmtpd on a free loopback port that asks for a login (without TLS, as a
    relay on the local network does) and refuses every one with 535."""

    def __init__(self):
        self.messages: list = []
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=_refuse_every_login,
            auth_required=True,
            # A plain connection, as to a relay on the local network (aiosmtpd
            # warns about it).
            auth_require_tls=False,
        )

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        self.messages.append(envelope.content)
        return "250 Message accepted for delivery"

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()


def closed_port() -> int:
    """A loopback port nothing listens on (connections to it are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def store_channel(store: StoreSecrets, **values):
    """A channel whose plugin holds both secrets, whatever transport it uses
    (``peers.webhook_channel`` with an SMTP login)."""
    settings = {
        "smtp_host": "127.0.0.1",
        "smtp_user": "cs-user",
        "smtp_password": store.smtp_password,
        "smtp_security": "none",
        "sender_address": "care@example.com",
        "retry_base_seconds": "1",
        **values,
    }
    return webhook_channel(
        settings.pop("webhook_url", "http://127.0.0.1:9/unused"),
        store.webhook_secret,
        **settings,
    )


def order_delay_notice(channel, name: str, notice_settings=None):
    """A pending notice of ``channel``, recorded as the plugin records one."""
    notice, created = outbox.enqueue_notice(
        notice_type=NoticeType.ORDER_DELAY,
        idempotency_key=idempotency_key(NoticeType.ORDER_DELAY, channel.slug, name),
        notice_settings=notice_settings or fetch.channel_settings(channel.pk).notices,
        recipient_email="shopper@example.com",
        context={"subject": "Your order is running late", "message": "Sorry."},
        channel=channel,
    )
    assert created is True
    return notice


@contextmanager
def sending_to_redis(broker_url: str, queue: str):
    """Saleor's Celery app, in this process, sending tasks to ``queue`` of a real
    Redis instead of running them at once (Saleor's test settings)."""
    # Saleor's app reads Django's settings: the names keep their CELERY_ prefix.
    changes = {
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": False,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
    }
    saved = {name: app.conf[name] for name in changes if name in app.conf}
    app.conf.update(changes)
    # Connections are pooled by the broker they were made for.
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield
    finally:
        for name in changes:
            if name in saved:
                app.conf[name] = saved[name]
            else:
                app.conf.pop(name, None)
        app._pool = None
        app.amqp._producer_pool = None


def make_due(notice) -> None:
    """The notice's next attempt is due (its retry waited long enough)."""
    Notice.objects.filter(pk=notice.pk).update(
        next_attempt_at=timezone.now() - timedelta(hours=1)
    )
