"""The fault campaign: notices decided by the plugin's sweeps and hooks and delivered
by real Celery workers while the campaign kills workers, breaks the webhook
receiver, stops the broker, terminates the workers' database connections, runs
every sweep twice at once and calls every Saleor hook twice; then it drains and
counts, per transport, what became of every notice.

``run(scale)`` needs Django set up with ``campaign_settings`` and a broker the
campaign owns (``Broker``): it is stopped and started again.
"""

import email
import hashlib
import json
import logging
import os
import random
import threading
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import mkdtemp

from aiosmtpd.controller import Controller
from django.db import connection
from django.utils import timezone
from kombu.exceptions import OperationalError

import store
from broker import WORKER_APPLICATION, Broker, free_port, worker_database_url
from scales import Scale
from faulty_receiver import HUNG, TAKEN, Faults, FaultyReceiver
from peers import CeleryWorker, race
from saleor_cs_plugin import tasks
from saleor_cs_plugin.domain.notices import NoticeStatus, Transport
from saleor_cs_plugin.models import Notice, StockShortage


class Mailbox:
    """aiosmtpd on a free port; keeps the Message-ID and arrival time of each
    message it accepts."""

    def __init__(self):
        self.messages: list[tuple[float, str]] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        message = email.message_from_bytes(envelope.content)
        self.messages.append((time.time(), str(message["Message-ID"])))
        return "250 Message accepted for delivery"


# aiosmtpd logs every connection at INFO.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def message_id_local_part(idempotency_key: str) -> str:
    """The Message-ID ``transport.send_email`` derives from a notice's key."""
    return "cs-" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]


class Workers:
    """Several Celery worker processes, each killed and replaced on demand."""

    def __init__(self, count: int, broker_url: str, database_url: str, logs: Path):
        self.broker_url = broker_url
        self.database_url = worker_database_url(database_url)
        self.logs = logs
        self.started = 0
        self.running: list[CeleryWorker] = []
        self.lock = threading.Lock()
        self.start(count)

    def _new(self) -> CeleryWorker:
        with self.lock:
            self.started += 1
            number = self.started
        return CeleryWorker(
            broker_url=self.broker_url,
            database_url=self.database_url,
            log_path=self.logs / f"worker-{number}.log",
            queue="celery",
            settings_module="campaign_settings",
            python_path=str(Path(__file__).parent),
        )

    def start(self, count: int) -> None:
        new = [self._new() for _ in range(count)]
        threads = [threading.Thread(target=worker.start) for worker in new]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with self.lock:
            self.running += [w for w in new if w.process and w.process.poll() is None]

    def kill_one(self, draw: random.Random) -> None:
        with self.lock:
            worker = self.running.pop(draw.randrange(len(self.running)))
        worker.kill()
        worker.log.close()

    def kill_all(self) -> None:
        with self.lock:
            workers, self.running = self.running, []
        for worker in workers:
            worker.kill()
            worker.log.close()

    def stop(self) -> None:
        with self.lock:
            workers, self.running = self.running, []
        for worker in workers:
            worker.stop()


@dataclass
class Journal:
    """What the campaign did, and when (``time.time()``)."""

    events: list = field(default_factory=list)
    sweep_errors: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, **details) -> None:
        with self.lock:
            self.events.append({"at": time.time(), "kind": kind, **details})

    def times(self, kind: str) -> list[float]:
        return [event["at"] for event in self.events if event["kind"] == kind]


def terminate_worker_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            [WORKER_APPLICATION],
        )
        return cursor.fetchone()[0]


def sending_now(channels) -> int:
    return Notice.objects.filter(
        channel__in=channels, status=NoticeStatus.SENDING
    ).count()


class Chaos(threading.Thread):
    """Kills workers and terminates their connections at moments drawn from the seed
    over the expected length of the waves; stops the broker when a wave asks."""

    def __init__(
        self, scale: Scale, workers: Workers, broker: Broker, journal, channels
    ):
        super().__init__(daemon=True)
        self.scale, self.workers, self.broker = scale, workers, broker
        self.journal, self.channels = journal, channels
        self.draw = random.Random(scale.seed)
        length = scale.waves * scale.wave_seconds
        plan = [
            (self.draw.uniform(0.05, 0.95) * length, "kill_worker")
            for _ in range(scale.kills)
        ]
        plan += [
            (self.draw.uniform(0.05, 0.95) * length, "terminate_connections")
            for _ in range(scale.terminations)
        ]
        self.plan = sorted(plan)
        self.restarts: list[threading.Thread] = []

    def run(self):
        began = time.monotonic()
        for at, kind in self.plan:
            time.sleep(max(0.0, at - (time.monotonic() - began)))
            try:
                getattr(self, kind)()
            except Exception as error:  # noqa: BLE001 - the campaign goes on, and says so
                self.journal.add(f"{kind} failed", error=repr(error))
        for restart in self.restarts:
            restart.join()

    def stop_broker(self):
        self.broker.stop()
        self.journal.add("broker stopped")
        time.sleep(self.scale.broker_stop_seconds)
        self.broker.start()
        self.journal.add("broker started")

    def kill_worker(self):
        # Workers killed before take a while to come back: kill only a full pool.
        for restart in self.restarts:
            restart.join()
        self.workers.kill_one(self.draw)
        self.journal.add("worker killed", sending=sending_now(self.channels))
        restart = threading.Thread(target=self.workers.start, args=(1,))
        restart.start()
        self.restarts.append(restart)

    def terminate_connections(self):
        # In the middle of batches: wait (a little) for a notice being sent.
        deadline = time.monotonic() + 5
        while not sending_now(self.channels) and time.monotonic() < deadline:
            time.sleep(0.05)
        sending = sending_now(self.channels)
        terminated = terminate_worker_connections()
        # A worker that has just replaced a dropped connection, or is between
        # tasks, may hold none for a moment: try again until one is hit.
        deadline = time.monotonic() + 2
        while not terminated and time.monotonic() < deadline:
            time.sleep(0.02)
            terminated = terminate_worker_connections()
        self.journal.add("connections terminated", backends=terminated, sending=sending)


def guarded(journal: Journal, name: str, call):
    """A sweep as beat runs it; a failure is counted (by its kind), not raised."""

    def run():
        try:
            return call()
        except OperationalError:
            journal.sweep_errors[f"{name}: broker unreachable"] += 1
        except Exception as error:  # noqa: BLE001 - counted and reported
            journal.sweep_errors[f"{name}: {type(error).__name__}: {error}"] += 1
        return None

    return run


def sweep_twice(journal: Journal) -> None:
    """Every sweep twice at once, each on its own database connection."""
    for name, task in [
        ("promise sweep", tasks.sweep_promises_task),
        ("stock-shortage sweep", tasks.sweep_stock_shortages_task),
        ("promoted-code check", tasks.sweep_promoted_codes_task),
        ("notice sweep", tasks.sweep_notices_task),
    ]:
        # Celery makes a task on its first use; two threads making it at once can
        # find it half made ("'NoneType' object has no attribute 'push'"). Made
        # here first, as a worker makes its tasks before it runs them.
        assert task.request_stack is not None
        race(guarded(journal, name, task), guarded(journal, name, task))


def waves(scale: Scale, shops, journal: Journal, chaos: Chaos) -> None:
    """Each wave places orders (Saleor's hook called twice for each), runs stocks
    short and lets promoted codes expire, then runs every sweep twice at once. The
    middle wave's sweeps decide while the broker is down."""
    broker_stop = threading.Thread(target=chaos.stop_broker)
    for wave in range(scale.waves):
        began = time.monotonic()
        for shop in shops:
            label = f"{shop.channel.slug}-w{wave}"
            store.place_late_orders(shop, f"{label}-late", scale.late_orders)
            stock = store.place_short_orders(shop, f"{label}-short", scale.short_lines)
            store.run_short(stock)
            store.expire_promoted_codes(shop, f"w{wave}", scale.promoted_codes)
        if wave == scale.waves // 2:
            broker_stop.start()
            time.sleep(0.5)
        sweep_twice(journal)
        journal.add("wave decided", wave=wave)
        time.sleep(max(0.0, scale.wave_seconds - (time.monotonic() - began)))
    broker_stop.join()


def unfinished(channels, horizon_seconds: float) -> int:
    """Notices still to deliver soon: pending or claimed, due within the horizon."""
    return Notice.objects.filter(
        channel__in=channels,
        status__in=[NoticeStatus.PENDING, NoticeStatus.SENDING],
        next_attempt_at__lte=timezone.now() + timedelta(seconds=horizon_seconds),
    ).count()


def drain(
    scale: Scale, shops, workers: Workers, journal: Journal, notify_posted
) -> float:
    """Clean workers, and the sweeps as beat runs them, until nothing is left to
    deliver soon; returns how long it took."""
    channels = [shop.channel for shop in shops]
    began = time.monotonic()
    workers.kill_all()
    workers.start(scale.workers)
    journal.add("drain started")
    last_decisions = 0.0
    quiet_rounds = 0
    while time.monotonic() - began < scale.drain_seconds:
        if time.monotonic() - last_decisions > 10:
            for name, task in [
                ("promise sweep", tasks.sweep_promises_task),
                ("stock-shortage sweep", tasks.sweep_stock_shortages_task),
                ("promoted-code check", tasks.sweep_promoted_codes_task),
            ]:
                guarded(journal, name, task)()
            last_decisions = time.monotonic()
        guarded(journal, "notice sweep", tasks.sweep_notices_task)()
        uncomposed = StockShortage.objects.filter(
            order__channel__in=channels, notified_at__isnull=True
        ).count()
        if not unfinished(channels, 60) and not uncomposed:
            quiet_rounds += 1
            if quiet_rounds >= 2:
                break
        else:
            quiet_rounds = 0
        time.sleep(1)
    # Saleor's own webhook tasks post what the plugin handed to Saleor; one lost
    # with a worker or a connection stays lost (no beat task of Saleor's sends
    # pending deliveries again).
    grace = time.monotonic() + 20
    while not notify_posted() and time.monotonic() < grace:
        time.sleep(1)
    journal.add("drain ended")
    return time.monotonic() - began


@dataclass
class Row:
    transport: str
    decided: int = 0
    delivered: int = 0
    repeated: int = 0
    repeated_same_key: int = 0
    repeated_other_key: int = 0
    failed: int = 0
    failed_reasons: dict = field(default_factory=dict)
    skipped: int = 0
    pending: int = 0
    lost: int = 0
    lost_ids: list = field(default_factory=list)
    copies: int = 0
    posts: int = 0
    repeats_explained: dict = field(default_factory=dict)
    handed_not_posted: int = 0


def _explain(first: float, later: float, journal: Journal, hung: set) -> str:
    """What happened between a notice's first copy and the next one."""
    if first in hung:
        return "receiver answered after the delivery timeout"
    for kind, reason in [
        ("worker killed", "worker killed before the mark"),
        ("connections terminated", "database connection terminated before the mark"),
    ]:
        if any(first <= at <= later for at in journal.times(kind)):
            return reason
    return "unexplained"


def _notify_deliveries(webhook) -> dict[str, int]:
    """How often each notice (by key) was handed to Saleor's webhook pipeline."""
    from saleor.core.models import EventDelivery  # noqa: PLC0415

    handed: Counter = Counter()
    for delivery in EventDelivery.objects.filter(webhook=webhook).select_related(
        "payload"
    ):
        payload = json.loads(delivery.payload.get_payload())
        handed[payload["payload"]["idempotencyKey"]] += 1
    return handed


def count(shops, receiver, mailbox, webhook, journal: Journal) -> list[Row]:
    posts = receiver.snapshot()
    rows = []
    for shop in shops:
        row = Row(shop.transport.value)
        notices = list(Notice.objects.filter(channel=shop.channel))
        copies: dict[str, list[float]] = defaultdict(list)
        keys: dict[str, set] = defaultdict(set)
        hung = {post.received_at for post in posts if post.outcome == HUNG}
        if shop.transport == Transport.WEBHOOK:
            for post in posts:
                if post.path == "/notices":
                    row.posts += 1
                    keys[post.notice_id].add(post.idempotency_key)
                    if post.outcome in TAKEN:
                        copies[post.notice_id].append(post.received_at)
        elif shop.transport == Transport.EMAIL:
            by_message_id = {
                message_id_local_part(n.idempotency_key): n for n in notices
            }
            for received_at, message_id in mailbox.messages:
                notice = by_message_id.get(message_id.strip("<>").split("@")[0])
                if notice is not None:
                    row.posts += 1
                    copies[str(notice.pk)].append(received_at)
                    keys[str(notice.pk)].add(notice.idempotency_key)
        else:
            handed = _notify_deliveries(webhook)
            for post in posts:
                if post.path == "/notify":
                    row.posts += 1
                    keys[post.notice_id].add(post.idempotency_key)
                    copies[post.notice_id].append(post.received_at)
            for notice in notices:
                # Handed to Saleor is delivered as far as the plugin can tell;
                # Saleor's own webhook task posts it to the app.
                posted = len(copies[str(notice.pk)])
                row.handed_not_posted += max(0, handed[notice.idempotency_key] - posted)
                if not posted and handed[notice.idempotency_key]:
                    copies[str(notice.pk)] = [float("inf")]
        explained: Counter = Counter()
        for notice in notices:
            row.decided += 1
            times = sorted(copies.get(str(notice.pk), []))
            row.copies += len(times)
            if notice.status == NoticeStatus.SENT and times:
                row.delivered += 1
                if len(times) > 1:
                    row.repeated += 1
                    if keys[str(notice.pk)] <= {notice.idempotency_key}:
                        row.repeated_same_key += 1
                    else:
                        row.repeated_other_key += 1
                    for first, later in zip(times, times[1:]):
                        explained[_explain(first, later, journal, hung)] += 1
            elif notice.status == NoticeStatus.FAILED and notice.last_error:
                row.failed += 1
                reason = notice.last_error.split(":")[0]
                row.failed_reasons[reason] = row.failed_reasons.get(reason, 0) + 1
            elif notice.status == NoticeStatus.SKIPPED and notice.last_error:
                row.skipped += 1
            elif notice.status in (NoticeStatus.PENDING, NoticeStatus.SENDING):
                row.pending += 1
            else:
                row.lost += 1
                row.lost_ids.append(
                    f"{notice.pk} {notice.status} attempts={notice.attempts} "
                    f"copies={len(times)} error={notice.last_error!r}"
                )
        row.repeats_explained = dict(explained)
        rows.append(row)
    return rows


def decisions(shops) -> dict:
    """Whether each planned decision has exactly one notice."""
    planned = set().union(*(shop.planned for shop in shops))
    recorded = Counter(
        store.decision(notice)
        for notice in Notice.objects.filter(
            channel__in=[shop.channel for shop in shops]
        )
    )
    return {
        "planned": len(planned),
        "notices": sum(recorded.values()),
        "decisions_with_several_notices": sum(1 for n in recorded.values() if n > 1),
        "planned_without_notice": len(planned - set(recorded)),
        "notices_not_planned": len(set(recorded) - planned),
    }


def table(rows: list[Row]) -> str:
    lines = [
        "| Transport | Decided | Delivered | Delivered more than once (same key / other key) "
        "| Failed for good | Skipped | Still pending | Lost |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        reasons = "; ".join(f"{n} × {r}" for r, n in sorted(row.failed_reasons.items()))
        lines.append(
            f"| {row.transport} | {row.decided} | {row.delivered} | {row.repeated} "
            f"({row.repeated_same_key} / {row.repeated_other_key}) | {row.failed}"
            f"{f' ({reasons})' if reasons else ''} | {row.skipped} | {row.pending} "
            f"| {row.lost} |"
        )
    return "\n".join(lines)


def run(scale: Scale, broker: Broker, database_url: str) -> dict:
    logs = Path(mkdtemp(prefix="faults-"))
    journal = Journal()
    run_label = store.run_label()
    receiver = FaultyReceiver(Faults(hang_seconds=3.0), seed=scale.seed).start()
    mailbox = Mailbox()
    mailbox.controller.start()
    shops, webhook, workers = [], None, None
    try:
        webhook = store.notify_app(run_label, receiver.url("/notify"))
        shops = [
            store.open_shop(
                transport,
                run_label,
                webhook_url=receiver.url("/notices"),
                smtp_port=mailbox.port,
            )
            for transport in store.TRANSPORTS
        ]
        channels = [shop.channel for shop in shops]
        workers = Workers(scale.workers, broker.url, database_url, logs)
        chaos = Chaos(scale, workers, broker, journal, channels)
        began = time.monotonic()
        chaos.start()
        waves(scale, shops, journal, chaos)
        chaos.join()
        faults_seconds = time.monotonic() - began
        notify_shop = next(s for s in shops if s.transport == Transport.SALEOR_NOTIFY)

        def notify_posted() -> bool:
            sent = Notice.objects.filter(
                channel=notify_shop.channel, status=NoticeStatus.SENT
            ).count()
            posted = len(
                {p.notice_id for p in receiver.snapshot() if p.path == "/notify"}
            )
            return posted >= sent

        drain_seconds = drain(scale, shops, workers, journal, notify_posted)
        rows = count(shops, receiver, mailbox, webhook, journal)
        stopped, started = (
            journal.times("broker stopped"),
            journal.times("broker started"),
        )
        decided_while_broker_down = (
            Notice.objects.filter(
                channel__in=channels,
                created_at__gte=datetime.fromtimestamp(stopped[0], UTC),
                created_at__lte=datetime.fromtimestamp(started[0], UTC),
            ).count()
            if stopped and started
            else 0
        )
        kinds = Counter(event["kind"] for event in journal.events)
        return {
            "scale": asdict(scale),
            "saleor": __import__("saleor").__version__,
            "load_average": os.getloadavg(),
            "faults_seconds": round(faults_seconds, 1),
            "drain_seconds": round(drain_seconds, 1),
            "events": dict(kinds),
            "terminated_backends": sum(
                e.get("backends", 0)
                for e in journal.events
                if e["kind"] == "connections terminated"
            ),
            "terminated_while_sending": sum(
                1
                for e in journal.events
                if e["kind"] == "connections terminated" and e.get("sending")
            ),
            "decided_while_broker_down": decided_while_broker_down,
            "sweep_errors": dict(journal.sweep_errors),
            "receiver_outcomes": dict(Counter(p.outcome for p in receiver.snapshot())),
            "decisions": decisions(shops),
            "rows": [asdict(row) for row in rows],
            "table": table(rows),
            "logs": str(logs),
        }
    finally:
        if workers is not None:
            workers.stop()
        receiver.stop()
        mailbox.controller.stop()
        if os.environ.get("FAULTS_KEEP") != "1":
            store.close(shops, webhook)
