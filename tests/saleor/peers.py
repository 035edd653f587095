"""Real local peers for delivery tests: an SMTP server, an HTTP receiver that checks
signatures, a Celery worker process on the local Redis, and a channel whose plugin
sends to such a receiver."""

import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller
from saleor.channel.models import Channel
from saleor.plugins.models import PluginConfiguration

from saleor_cs_plugin.config import PLUGIN_ID
from saleor_cs_plugin.models import Notice, ServiceHistoryEntry, StaffAlert
from saleor_cs_plugin.plugin import CustomerServicePlugin


class SmtpReceiver:
    """aiosmtpd on a free loopback port; keeps every message it accepts."""

    def __init__(self):
        self.messages: list[dict] = []
        # The controller checks its server by connecting to the port it was given,
        # so it needs a real free port rather than 0.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        self.messages.append(
            {
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "data": envelope.content,
            }
        )
        return "250 Message accepted for delivery"

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()


@dataclass
class ReceivedRequest:
    headers: dict
    body: bytes
    is_signature_valid: bool
    # The sender's end of the connection: requests over one kept-alive connection
    # share it.
    client_port: int

    @property
    def json(self):
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """An HTTP/1.1 server on a free loopback port (connections are kept alive) that
    checks the HMAC signature and answers with the next planned status (200 once the
    plan is used up)."""

    secret: str
    planned_statuses: list[int] = field(default_factory=list)
    hang_seconds_first: float = 0.0
    # Called with the number of the post (1 for the first) before it is answered.
    before_answer: Callable[[int], None] | None = None
    requests: list[ReceivedRequest] = field(default_factory=list)
    first_request_arrived: threading.Event = field(default_factory=threading.Event)

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body are written separately: without this, the body of
            # each answer on a kept-alive connection waits for a delayed ACK.
            disable_nagle_algorithm = True

            def do_POST(self):  # noqa: N802 (http.server API)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                expected = hmac.new(
                    receiver.secret.encode(), body, hashlib.sha256
                ).hexdigest()
                signature = self.headers.get("X-Saleor-CS-Signature", "")
                receiver.requests.append(
                    ReceivedRequest(
                        headers=dict(self.headers),
                        body=body,
                        is_signature_valid=hmac.compare_digest(expected, signature),
                        client_port=self.client_address[1],
                    )
                )
                is_first = len(receiver.requests) == 1
                receiver.first_request_arrived.set()
                if is_first and receiver.hang_seconds_first:
                    time.sleep(receiver.hang_seconds_first)
                if receiver.before_answer is not None:
                    receiver.before_answer(len(receiver.requests))
                status = (
                    receiver.planned_statuses.pop(0)
                    if receiver.planned_statuses
                    else 200
                )
                answer = b"planned answer"
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/notices"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class CeleryWorker:
    """Saleor's Celery app in its own process, on the local Redis, against the test
    database."""

    def __init__(
        self,
        *,
        broker_url: str,
        database_url: str,
        log_path: Path,
        queue: str,
        settings_module: str = "worker_settings",
        python_path: str = str(Path(__file__).parent),
        log_level: str = "INFO",
    ):
        # Everything this worker consumes and sends (retries, the sweep's batches)
        # stays on its own queue, so runs sharing a Redis never take each other's
        # tasks.
        self.queue = queue
        self.settings_module = settings_module
        self.python_path = python_path
        self.broker_url = broker_url
        self.database_url = database_url
        self.log_path = log_path
        self.log_level = log_level
        self.process: subprocess.Popen | None = None

    def start(self, ready_timeout: float = 90.0):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": self.settings_module,
            # Keep the inherited path: it may hold the Saleor tree (3.21).
            "PYTHONPATH": os.pathsep.join(
                p for p in (self.python_path, os.environ.get("PYTHONPATH")) if p
            ),
            "DATABASE_URL": self.database_url,
            "CELERY_BROKER_URL": self.broker_url,
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
        }
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "--app",
                "saleor.celeryconf:app",
                "worker",
                "--pool=solo",
                f"--queues={self.queue}",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                f"--loglevel={self.log_level}",
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"The worker exited; see {self.log_path}")
            if b" ready." in self.log_path.read_bytes():
                return self
            time.sleep(0.2)
        raise RuntimeError(f"The worker did not start; see {self.log_path}")

    def kill(self):
        """Kill the worker at once, as a crash or an out-of-memory kill would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


def wait_for(condition, *, timeout: float = 30.0, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(
        f"Not reached within {timeout} s: {condition.__doc__ or condition}"
    )


def webhook_channel(webhook_url: str, secret: str, **settings):
    """A new channel whose plugin is active and sends every notice to the webhook."""
    slug = f"cs-{uuid.uuid4().hex[:8]}"
    channel = Channel.objects.create(
        name=slug, slug=slug, currency_code="USD", default_country="US"
    )
    values = {
        "notice_transports": "*=webhook",
        "webhook_url": webhook_url,
        "webhook_secret": secret,
        "quiet_hours": "",
        **settings,
    }
    PluginConfiguration.objects.create(
        identifier=PLUGIN_ID,
        channel=channel,
        active=True,
        configuration=[
            {"name": item["name"], "value": values.get(item["name"], item["value"])}
            for item in CustomerServicePlugin.DEFAULT_CONFIGURATION
        ],
    )
    return channel


def drop_notices(notices) -> None:
    """Remove notices with their history entries."""
    notice_ids = [str(pk) for pk in notices.values_list("pk", flat=True)]
    ServiceHistoryEntry.objects.filter(details__noticeId__in=notice_ids).delete()
    notices.delete()


def drop_channel(channel) -> None:
    """Remove a channel made by ``webhook_channel`` with its notices, their
    history entries and the staff alerts its failed deliveries raised."""
    drop_notices(Notice.objects.filter(channel=channel))
    StaffAlert.objects.filter(channel=channel).delete()
    PluginConfiguration.objects.filter(channel=channel).delete()
    channel.delete()


def race(*calls, timeout: float = 60) -> list:
    """Run ``calls`` at the same moment, each in its own thread on its own database
    connection; returns what they returned, in the order they finished (a call that
    raised returns nothing)."""
    from django.db import connection  # noqa: PLC0415 - peers import without Django

    results = []
    start = threading.Barrier(len(calls))

    def run(call):
        try:
            start.wait()
            results.append(call())
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results
