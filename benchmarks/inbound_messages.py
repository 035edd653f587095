"""Signed inbound messages one API process accepts per second, the plugin's work
included. Goal: at least 200 a second on this machine.

The API is Saleor's ASGI application under uvicorn, one process, in a process of
its own, on the benchmark database, with one Celery worker (Saleor's app, solo
pool) filing the taken posts at the same time on the same machine; this process
posts as the store's bridges would: CLIENTS threads, each over one kept-alive
connection, signing each post at the moment it sends it. First, for comparison in
the same run, the same clients send for REFUSED_SECONDS a GET the plugin refuses
at once (405): Saleor's plugin URL alone, the ceiling of any post. The channel has 1,000 customers with a phone number on an
address, and every message comes from one of them by SMS, so each is linked through
the phone lookup; one in ten posts repeats an earlier message id (a bridge's retry),
which must be answered as a duplicate and filed nothing. Every message of the
sender's open conversation is kept: the conversations grow as a busy store's do.

Afterwards, once the worker has filed what it was given: every post answered 202,
every distinct message filed once with its history entry, no duplicate filed.
Printed: the refused GETs a second, messages a second, p50 and p95 of the client's
latency, the API process's CPU time a message (from /proc), the posts not filed
yet when the load stopped and how long the worker took to file them.
"""

import hashlib
import hmac
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import redis

import bench_support  # noqa: F401 (sets Django up)
from peers import CeleryWorker, wait_for
from saleor.account.models import Address, User
from saleor.channel.models import Channel
from saleor.plugins.models import PluginConfiguration

from saleor_cs_plugin.config import PLUGIN_ID
from saleor_cs_plugin.domain.history import EntryType
from saleor_cs_plugin.models import (
    Conversation,
    ConversationMessage,
    InboundPost,
    ServiceHistoryEntry,
)
from saleor_cs_plugin.plugin import CustomerServicePlugin

SECONDS = float(os.environ.get("BENCH_INBOUND_SECONDS", "30"))
CLIENTS = int(os.environ.get("BENCH_INBOUND_CLIENTS", "8"))
REFUSED_SECONDS = 10
# "during": the worker files while the API takes posts, both on this machine's two
# cores; "after": it starts once the load stops, so the API has the machine alone.
WORKER = os.environ.get("BENCH_INBOUND_WORKER", "during")
CUSTOMERS = 1000
REPEATS = 0.1
SECRET = "benchmark-inbound-secret-0123456789"
GOAL = 200


def _store():
    slug = f"bench-inbound-{uuid.uuid4().hex[:8]}"
    channel = Channel.objects.create(
        name=slug, slug=slug, currency_code="USD", default_country="PL"
    )
    PluginConfiguration.objects.create(
        identifier=PLUGIN_ID,
        channel=channel,
        active=True,
        configuration=[
            {
                "name": item["name"],
                "value": SECRET if item["name"] == "inbound_secret" else item["value"],
            }
            for item in CustomerServicePlugin.DEFAULT_CONFIGURATION
        ],
    )
    # Numbers of this run's own: the phone lookup is store-wide, and a number an
    # earlier run's customer has too would link no one.
    first = random.SystemRandom().randrange(9_000) * 1_000
    phones = [f"+4860{first + n:07d}" for n in range(CUSTOMERS)]
    users = User.objects.bulk_create(
        User(email=f"{slug}-{n}@example.com", is_active=True) for n in range(CUSTOMERS)
    )
    addresses = Address.objects.bulk_create(
        Address(first_name="C", last_name=str(n), country="PL", phone=phone)
        for n, phone in enumerate(phones)
    )
    User.addresses.through.objects.bulk_create(
        User.addresses.through(user_id=user.pk, address_id=address.pk)
        for user, address in zip(users, addresses, strict=True)
    )
    return channel, phones


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_api(port: int, queue: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "saleor.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env={**os.environ, "CELERY_TASK_DEFAULT_QUEUE": queue},
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("The API did not start.")


def _cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Client(threading.Thread):
    def __init__(self, number, port, path, phones, stop_at):
        super().__init__(daemon=True)
        self.number, self.port, self.path = number, port, path
        self.phones, self.stop_at = phones, stop_at
        self.draw = random.Random(number)
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.sent_ids: list[str] = []
        self.duplicates_answered = 0
        self.repeats_sent = 0

    def run(self):
        api = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        count = 0
        while time.monotonic() < self.stop_at:
            repeat = self.sent_ids and self.draw.random() < REPEATS
            message_id = (
                self.draw.choice(self.sent_ids) if repeat else f"c{self.number}-{count}"
            )
            body = json.dumps(
                {
                    "channel": "sms",
                    "sender": self.draw.choice(self.phones),
                    "text": f"Message {message_id}: where is my parcel?",
                    "messageId": message_id,
                    "sentAt": datetime.now(UTC).isoformat(),
                }
            ).encode()
            timestamp = str(int(time.time()))
            signature = hmac.new(
                SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256
            ).hexdigest()
            began = time.perf_counter()
            api.request(
                "POST",
                self.path,
                body=body,
                headers={
                    "Content-Type": "application/json",
                    "X-Saleor-CS-Timestamp": timestamp,
                    "X-Saleor-CS-Signature": signature,
                },
            )
            response = api.getresponse()
            answer = response.read()
            self.latencies.append(time.perf_counter() - began)
            self.statuses[response.status] = self.statuses.get(response.status, 0) + 1
            if response.status == 202 and json.loads(answer)["duplicate"]:
                self.duplicates_answered += 1
            if repeat:
                self.repeats_sent += 1
            else:
                self.sent_ids.append(message_id)
                count += 1
        api.close()


class RefusedClient(threading.Thread):
    """A client that sends only GETs, which the plugin refuses at once (405)."""

    def __init__(self, port, path, stop_at):
        super().__init__(daemon=True)
        self.port, self.path, self.stop_at = port, path, stop_at
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}

    def run(self):
        api = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        while time.monotonic() < self.stop_at:
            began = time.perf_counter()
            api.request("GET", self.path)
            response = api.getresponse()
            response.read()
            self.latencies.append(time.perf_counter() - began)
            self.statuses[response.status] = self.statuses.get(response.status, 0) + 1
        api.close()


def _run_together(clients) -> float:
    began = time.monotonic()
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    return time.monotonic() - began


def _unfiled(channel) -> int:
    return InboundPost.objects.filter(channel=channel, filed_at=None).count()


def main():
    channel, phones = _store()
    port = _free_port()
    worker = CeleryWorker(
        broker_url=os.environ["CELERY_BROKER_URL"],
        database_url=os.environ["DATABASE_URL"],
        log_path=Path(tempfile.gettempdir()) / f"{channel.slug}-worker.log",
        queue=f"{channel.slug}-queue",
        settings_module="bench_settings",
        python_path=os.environ["PYTHONPATH"],
    )
    api = None
    path = f"/plugins/channel/{channel.slug}/{PLUGIN_ID}/inbound/"
    try:
        if WORKER == "during":
            worker.start()
        api = _start_api(port, worker.queue)
        # Warm up: the first requests load Saleor's plugins and URLs.
        RefusedClient(port, path, time.monotonic() + 2).run()
        warm = Client(-1, port, path, phones, time.monotonic() + 3)
        warm.run()
        refused_stop = time.monotonic() + REFUSED_SECONDS
        refused = [RefusedClient(port, path, refused_stop) for _ in range(CLIENTS)]
        refused_cpu_before = _cpu_seconds(api.pid)
        refused_elapsed = _run_together(refused)
        refused_cpu = _cpu_seconds(api.pid) - refused_cpu_before
        cpu_before = _cpu_seconds(api.pid)
        stop_at = time.monotonic() + SECONDS
        clients = [Client(n, port, path, phones, stop_at) for n in range(CLIENTS)]
        elapsed = _run_together(clients)
        cpu = _cpu_seconds(api.pid) - cpu_before
        backlog = _unfiled(channel)
        if WORKER == "after":
            worker.start()
        drain_began = time.monotonic()
        wait_for(lambda: _unfiled(channel) == 0, timeout=600, interval=0.5)
        drained = time.monotonic() - drain_began
    finally:
        if api is not None:
            api.terminate()
            api.wait(timeout=30)
        if worker.process is not None:
            worker.stop()
        redis.Redis.from_url(os.environ["CELERY_BROKER_URL"]).delete(worker.queue)

    latencies = sorted(x for c in clients for x in c.latencies)
    statuses: dict[int, int] = {}
    for client in [warm, *clients]:
        for status, count in client.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    posts = len(latencies)
    distinct = sum(len(c.sent_ids) for c in [warm, *clients])
    filed = ConversationMessage.objects.filter(channel=channel).count()
    conversation_ids = [
        str(pk)
        for pk in Conversation.objects.filter(channel=channel).values_list(
            "pk", flat=True
        )
    ]
    entries = ServiceHistoryEntry.objects.filter(
        type=EntryType.MESSAGE, details__conversationId__in=conversation_ids
    ).count()
    duplicates = sum(c.duplicates_answered for c in clients)
    rate = posts / elapsed
    refused_latencies = sorted(x for c in refused for x in c.latencies)
    refused_statuses: dict[int, int] = {}
    for client in refused:
        for status, count in client.statuses.items():
            refused_statuses[status] = refused_statuses.get(status, 0) + count
    print(
        f"Saleor's ASGI app under uvicorn, one process, one Celery worker filing "
        f"{'at the same time' if WORKER == 'during' else 'after the load'}; "
        f"{CLIENTS} clients for {SECONDS:.0f} s; {CUSTOMERS:,} customers linked by "
        f"phone; {REPEATS:.0%} of posts repeat an earlier id; goal >= {GOAL}/s"
    )
    print(
        f"Saleor's plugin URL alone (a GET refused at once, {REFUSED_SECONDS} s): "
        f"{len(refused_latencies) / refused_elapsed:.0f} a second, p50 "
        f"{statistics.median(refused_latencies) * 1000:.1f} ms; API CPU "
        f"{refused_cpu / len(refused_latencies) * 1000:.2f} ms a request; "
        f"answers {refused_statuses}"
    )
    print(
        f"{posts:,} posts in {elapsed:.1f} s = {rate:.0f} messages/s "
        f"({duplicates:,} answered as duplicates); latency p50 "
        f"{statistics.median(latencies) * 1000:.1f} ms, p95 "
        f"{latencies[int(0.95 * (posts - 1))] * 1000:.1f} ms; API CPU "
        f"{cpu / posts * 1000:.2f} ms a message; load average "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    print(
        f"answers: {statuses}; conversations: {len(conversation_ids):,}; not filed "
        f"yet when the load stopped: {backlog:,}, filed {drained:.1f} s later"
    )
    assert set(refused_statuses) == {405}, refused_statuses
    assert set(statuses) == {202}, statuses
    assert duplicates == sum(c.repeats_sent for c in clients), duplicates
    assert filed == distinct, (filed, distinct)
    assert entries == distinct, (entries, distinct)
    assert (
        ConversationMessage.objects.filter(channel=channel)
        .exclude(conversation__user=None)
        .count()
        == filed
    ), "a message was not linked through its phone number"
    print("goal met" if rate >= GOAL else "goal missed")


if __name__ == "__main__":
    main()
