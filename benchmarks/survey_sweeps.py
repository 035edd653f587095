"""Cost of the two survey sweeps in a store with 1,000,000 checkouts and 1,000,000
orders (``big_tables``), 1,000 due at each and then 10,000 among the same rows.

Goal: under 1 s each with 1,000 due, read through an index, memory flat, and cost
proportional to the due rows, not to the tables. Measured as the Celery task does
the work: the sweep (``surveys.sweep.sweep_due`` or ``sweep_abandoned``), then
queueing the notices' delivery on Redis. Between runs, what a sweep wrote is put
back: its notices and abandoned-checkout surveys deleted, the completed-order
surveys scheduled again, the checkout sweep's mark set back. Besides the wall time:
the SQL statements of one sweep, the rows PostgreSQL read from the big tables (its
table statistics before and after), the plans of the sweep's batch queries
(EXPLAIN ANALYZE, BUFFERS) and the peak Python memory (traced in runs of their
own, since tracing slows Python down). A dry run decides the same and writes
nothing.
"""

import os

# The notices' delivery tasks go to a queue of this benchmark alone, emptied after
# each run (other benchmarks may use the same Redis database).
QUEUE = os.environ.setdefault("CELERY_TASK_DEFAULT_QUEUE", "bench-survey-sweeps")

import re  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from datetime import timedelta  # noqa: E402

import bench_support  # noqa: E402, F401 (sets Django up)
import big_tables  # noqa: E402
import redis  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from saleor_cs_plugin import tasks  # noqa: E402
from saleor_cs_plugin.domain.surveys import Moment  # noqa: E402
from saleor_cs_plugin.models import Notice, Survey, SweepMark  # noqa: E402
from saleor_cs_plugin.surveys import sweep  # noqa: E402

RUNS = int(os.environ.get("BENCH_ROUNDS", "5"))
TABLES = (
    "checkout_checkout",
    "checkout_checkoutline",
    "order_order",
    "order_fulfillment",
    Survey._meta.db_table,
)


class Store:
    """The benchmark's store, and putting it back as it was before a sweep."""

    def __init__(self):
        self.channel = big_tables.store()
        self.reference = big_tables.reference(self.channel)
        self.broker = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])

    def reset(self) -> None:
        Notice.objects.filter(channel=self.channel).delete()
        Survey.objects.filter(moment=Moment.ABANDONED.value).delete()
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                UPDATE {Survey._meta.db_table} s
                SET status = 'scheduled', skip_reason = '', sent_at = NULL,
                    closes_at = NULL, link_nonce = '', language = '',
                    email = o.user_email,
                    due_at = {big_tables.scheduled_due_at(f"(o.number - {big_tables.NUMBER_BASE})")}
                FROM order_order o
                WHERE s.order_id = o.id AND s.moment = 'completed'
                  AND s.status <> 'scheduled'
                  AND o.number BETWEEN %(first)s AND %(last)s
                """,
                {
                    "now": self.reference,
                    "first": big_tables.NUMBER_BASE + 1,
                    "last": big_tables.NUMBER_BASE + big_tables.DUE_MORE,
                },
            )
            # As autovacuum keeps a live store's tables: the rows a run left dead
            # do not slow the next one.
            cursor.execute(f"VACUUM {Survey._meta.db_table}")
            cursor.execute(f"VACUUM {Notice._meta.db_table}")
        for key in self.broker.scan_iter(f"{QUEUE}*"):
            self.broker.delete(key)

    def mark(self, hours_ago: int) -> None:
        """The checkout sweep's mark as left by a sweep ``hours_ago`` hours before
        the reference moment."""
        SweepMark.objects.update_or_create(
            name=sweep.ABANDONED_MARK,
            defaults={"swept_until": self.reference - timedelta(hours=hours_ago)},
        )


class Case:
    """One sweep at one size: what to set up, what to run, what it must decide."""

    def __init__(self, store, name, due, run, prepare):
        self.cpu = []
        self.store, self.name, self.due, self._run, self._prepare = (
            store,
            name,
            due,
            run,
            prepare,
        )

    # Python's own CPU time in each timed run (the rest: PostgreSQL, Redis, waiting
    # for the two cores on a busy machine).
    cpu: list

    def prepare(self):
        self.store.reset()
        self._prepare()

    def run(self, *, dry_run=False):
        report = self._run(dry_run=dry_run)
        if not dry_run:
            tasks.schedule_delivery(report.notice_ids)
        return report

    def timed(self, *, dry_run=False):
        self.prepare()
        begin, cpu = time.perf_counter(), time.process_time()
        report = self.run(dry_run=dry_run)
        elapsed = time.perf_counter() - begin
        self.cpu.append(time.process_time() - cpu)
        assert len(report.decisions) == self.due, (self.name, len(report.decisions))
        if dry_run:
            assert not Notice.objects.filter(channel=self.store.channel).exists()
            assert not Survey.objects.filter(moment=Moment.ABANDONED.value).exists()
        else:
            assert (
                Notice.objects.filter(channel=self.store.channel).count() == report.sent
            )
        return report, elapsed


def completed_case(store, due):
    # Surveys due by the reference moment, or by an hour after it (10,000).
    now = store.reference + timedelta(hours=0 if due == big_tables.DUE_NOW else 1)
    return Case(
        store,
        "completed orders",
        due,
        lambda dry_run: sweep.sweep_due(now, dry_run=dry_run),
        lambda: None,
    )


def abandoned_case(store, due):
    # The previous sweep an hour before the reference moment, or 10 hours.
    hours_ago = 1 if due == big_tables.DUE_NOW else 10
    return Case(
        store,
        "abandoned checkouts",
        due,
        lambda dry_run: sweep.sweep_abandoned(store.reference, dry_run=dry_run),
        lambda: store.mark(hours_ago),
    )


def table_reads() -> dict:
    """{table: (rows read, index scans, buffers)} so far, from PostgreSQL's
    statistics (this connection's flushed first)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute(
            """
            SELECT t.relname,
                   coalesce(t.seq_tup_read, 0) + coalesce(t.idx_tup_fetch, 0),
                   coalesce(t.idx_scan, 0),
                   coalesce(io.heap_blks_hit, 0) + coalesce(io.heap_blks_read, 0)
                   + coalesce(io.idx_blks_hit, 0) + coalesce(io.idx_blks_read, 0)
            FROM pg_stat_user_tables t JOIN pg_statio_user_tables io USING (relid)
            WHERE t.relname = ANY(%s)
            """,
            [list(TABLES)],
        )
        return {name: values for name, *values in [(r[0], *r[1:]) for r in cursor]}


def reads_of(case) -> tuple[int, int, int, list]:
    """One sweep's statements, rows read and buffers touched in the big tables,
    and its statements (to explain)."""
    case.prepare()
    before = table_reads()
    with CaptureQueriesContext(connection) as queries:
        case.run()
    after = table_reads()
    rows = sum(after[t][0] - before[t][0] for t in TABLES)
    buffers = sum(after[t][2] - before[t][2] for t in TABLES)
    return len(queries.captured_queries), rows, buffers, queries.captured_queries


def batch_plans(case, captured) -> list[tuple[str, str]]:
    """EXPLAIN (ANALYZE, BUFFERS) of the first batch query of each kind the sweep
    ran, on the store as it was before the sweep: [(what, summary)]."""
    shapes = {
        "due surveys": re.compile(r'FROM "saleor_cs_plugin_survey".*FOR UPDATE', re.S),
        "abandoned checkouts": re.compile(r'FROM "checkout_checkout"', re.S),
    }
    plans = []
    case.prepare()
    for what, shape in shapes.items():
        sql = next(
            (
                q["sql"]
                for q in captured
                if q["sql"].startswith("SELECT") and shape.search(q["sql"])
            ),
            None,
        )
        if sql is None:
            continue
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            lines = [row[0] for row in cursor]
            transaction.set_rollback(True)
        indexes = sorted(set(re.findall(r"using (\w+)", " ".join(lines), re.I)))
        scans = sorted(set(re.findall(r"Seq Scan on (\w+)", " ".join(lines))))
        buffers = next((line.strip() for line in lines if "Buffers:" in line), "")
        total = next(
            (line.strip() for line in lines if line.startswith("Execution Time")), ""
        )
        plans.append(
            (
                what,
                f"indexes {', '.join(indexes) or 'none'}; "
                f"sequential scans {', '.join(scans) or 'none'}; {buffers}; {total}",
                lines,
            )
        )
    return plans


def peak_memory(case) -> float:
    case.prepare()
    tracemalloc.start()
    case.run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1024 / 1024


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def main():
    store = Store()
    print(
        f"  reference moment {store.reference:%Y-%m-%d %H:%M} UTC; {RUNS} runs each "
        "(goal: < 1 s with 1,000 due, memory flat, cost following the due rows)"
    )
    results = []
    verbose = os.environ.get("BENCH_PLANS") == "1"
    try:
        # A worker's first sweep also imports Saleor's URLs (the links' reverse()
        # builds the GraphQL schema): once per process, so apart from the runs.
        _, cold = completed_case(store, big_tables.DUE_NOW).timed()
        print(
            f"  first sweep of a fresh process (completed orders, 1,000 due): {ms(cold)}"
        )
        for make in (completed_case, abandoned_case):
            for due in (big_tables.DUE_NOW, big_tables.DUE_MORE):
                case = make(store, due)
                runs = RUNS if due == big_tables.DUE_NOW else max(2, RUNS // 2)
                timings, reports = [], []
                case.cpu.clear()
                for _ in range(runs):
                    report, elapsed = case.timed()
                    timings.append(elapsed)
                    reports.append(report)
                cpu = statistics.median(case.cpu)
                dry = sorted(
                    case.timed(dry_run=True)[1] for _ in range(max(2, runs // 2))
                )
                statements, rows, buffers, captured = reads_of(case)
                plans = batch_plans(case, captured)
                memory = peak_memory(case)
                timings.sort()
                report = reports[-1]
                results.append(
                    (
                        case.name,
                        due,
                        report,
                        timings,
                        cpu,
                        dry,
                        statements,
                        rows,
                        buffers,
                        memory,
                    )
                )
                print(
                    f"  {case.name}, {due:,} due: median {ms(statistics.median(timings))}, "
                    f"worst {ms(timings[-1])} (Python CPU {ms(cpu)}); dry run median {ms(statistics.median(dry))}; "
                    f"{report.sent:,} asked, skipped {report.skipped}; {statements} SQL "
                    f"statements, {rows:,} rows and {buffers:,} buffers read in the big "
                    f"tables; peak Python memory {memory:.1f} MiB"
                )
                for what, summary, lines in plans:
                    print(f"    plan of the first {what} batch: {summary}")
                    if verbose:
                        print("      " + "\n      ".join(lines))
    finally:
        store.reset()
        SweepMark.objects.filter(name=sweep.ABANDONED_MARK).delete()
    print()
    print(
        "| Sweep | Due | Asked | Median | Worst | Python CPU | Dry run | Statements | Rows read | Buffers | Peak memory |"
    )
    print(
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    )
    for row in results:
        name, due, report, timings, cpu, dry, statements, rows, buffers, memory = row
        print(
            f"| {name} | {due:,} | {report.sent:,} | {ms(statistics.median(timings))} | "
            f"{ms(timings[-1])} | {ms(cpu)} | {ms(statistics.median(dry))} | {statements} | "
            f"{rows:,} | {buffers:,} | {memory:.1f} MiB |"
        )


if __name__ == "__main__":
    main()
