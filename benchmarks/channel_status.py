"""Cost of a channel's status lines with 100,000 notices, 10,000 delivery promises and
1,000 staff alerts in that channel; and of Saleor's ``plugin(id:)`` query, which
the Dashboard's plugin page sends, with the lines and without them.

Goal: the uncached lines well under their 500 ms statement timeout (they must never
visibly slow the page), the same two statements whatever the data, and nothing at
all while they are cached.

Half the notices failed, spread over two weeks, a tenth of those with an error text
of their own (a webhook's answer body), so the reasons are many groups. The promises
are late, at risk, on track, shipped (over 60 days) or cancelled. The store (channel
``bench-channel-status``) stays in the benchmark database for the next run.
"""

import statistics
import time

import bench_support  # noqa: F401 (sets Django up)
from django.core.cache import cache
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from saleor.account.models import User
from saleor.channel.models import Channel
from saleor.graphql.tests.fixtures import ApiClient
from saleor.permission.models import Permission

from order_rows import open_orders
from saleor_cs_plugin import channel_status, plugin
from saleor_cs_plugin.config import PLUGIN_ID
from saleor_cs_plugin.models import DeliveryPromise, Notice, PromotedCode, StaffAlert

NOTICES = 100_000
PROMISES = 10_000
ALERTS = 1_000
CODES = 100
RUNS = 30
SLUG = "bench-channel-status"
STAFF_EMAIL = "bench-channel-status@example.com"

PLUGIN_QUERY = """
query ($id: ID!) {
  plugin(id: $id) {
    id
    channelConfigurations {
      channel { slug }
      active
      configuration { name value type label }
    }
  }
}
"""


def fill(channel) -> None:
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {Notice._meta.db_table} (
                id, created_at, updated_at, idempotency_key, notice_type, channel_id,
                recipient_email, transport, is_essential, context, status, attempts,
                next_attempt_at, sent_at, last_error
            )
            SELECT gen_random_uuid(), t, t, 'bench-status:' || n, 'order_delay', %(ch)s,
                   'shopper' || n || '@example.com', 'webhook', true, '{{}}'::jsonb,
                   CASE WHEN n %% 2 = 0 THEN 'failed' ELSE 'sent' END, 1, t,
                   CASE WHEN n %% 2 = 1 THEN t END,
                   CASE
                       WHEN n %% 2 = 1 THEN ''
                       WHEN n %% 20 = 0 THEN 'Webhook: HTTP 400 bad request ' || n
                       WHEN n %% 8 = 2 THEN 'Webhook: HTTP 401 Unauthorized'
                       WHEN n %% 8 = 4 THEN 'SMTP: authentication failed (535)'
                       ELSE 'Saleor notify: no app receives Saleor''s notifications '
                            '(NOTIFY_USER webhook); choose the email or webhook '
                            'transport, or install such an app.'
                   END
            FROM generate_series(1, %(count)s) AS n,
                 LATERAL (SELECT %(now)s::timestamptz - (n %% 14) * interval '1 day'
                                 - (n %% 1440) * interval '1 minute' AS t) AS times
            """,
            {"ch": channel.pk, "count": NOTICES, "now": now},
        )
        cursor.execute(
            f"""
            INSERT INTO {StaffAlert._meta.db_table} (
                id, created_at, updated_at, kind, cause_key, channel_id, title, message,
                details, occurrences, last_seen_at, resolved_at
            )
            SELECT gen_random_uuid(), %(now)s, %(now)s,
                   (ARRAY['promoted_code', 'shortage_choice', 'notice_delivery'])[n %% 3 + 1],
                   'bench-status:' || n, %(ch)s, 'Alert ' || n, '', '{{}}'::jsonb, 1,
                   %(now)s, CASE WHEN n %% 2 = 0 THEN %(now)s END
            FROM generate_series(1, %(count)s) AS n
            """,
            {"ch": channel.pk, "count": ALERTS, "now": now},
        )
        cursor.execute(
            f"""
            INSERT INTO {PromotedCode._meta.db_table} (
                id, created_at, updated_at, code, channel_id, placements,
                promoted_until, note, health, alerted_health
            )
            SELECT gen_random_uuid(), %(now)s, %(now)s, 'BENCH-' || n, %(ch)s,
                   ARRAY['banner'], NULL, '',
                   (ARRAY['healthy', 'healthy', 'expired', 'expiring_soon', ''])[n %% 5 + 1],
                   ''
            FROM generate_series(1, %(count)s) AS n
            """,
            {"ch": channel.pk, "count": CODES, "now": now},
        )
    open_orders(channel, PROMISES, ship_by_deadline=now, review_at=None)
    with connection.cursor() as cursor:
        # By tenths: 1 late, 1 at risk, 3 on track, 4 shipped (one in ten of them
        # late), 1 cancelled; shipped over the last 60 days.
        cursor.execute(
            f"""
            UPDATE {DeliveryPromise._meta.db_table} AS p
            SET status = CASE
                    WHEN n %% 10 = 0 THEN 'late'
                    WHEN n %% 10 = 1 THEN 'at_risk'
                    WHEN n %% 10 IN (2, 3, 4) THEN 'on_track'
                    WHEN n %% 10 = 9 THEN 'cancelled'
                    WHEN n %% 40 = 5 THEN 'shipped_late'
                    ELSE 'shipped_on_time'
                END,
                ship_by_deadline = CASE
                    WHEN n %% 10 = 0 THEN %(now)s::timestamptz - interval '1 day'
                    WHEN n %% 10 IN (1, 2, 3, 4) THEN %(now)s::timestamptz + interval '1 day'
                    ELSE %(now)s::timestamptz - (n %% 60) * interval '1 day'
                END,
                shipped_at = CASE
                    WHEN n %% 10 BETWEEN 5 AND 8 THEN %(now)s::timestamptz
                        - (n %% 60) * interval '1 day'
                        + CASE WHEN n %% 40 = 5 THEN interval '1 hour'
                               ELSE -interval '1 hour' END
                END
            FROM (
                SELECT id, row_number() OVER (ORDER BY id) AS n
                FROM {DeliveryPromise._meta.db_table} WHERE channel_id = %(ch)s
            ) AS numbered
            WHERE p.id = numbered.id
            """,
            {"ch": channel.pk, "now": now},
        )
        for model in (Notice, StaffAlert, PromotedCode, DeliveryPromise):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")


def store_channel():
    channel = Channel.objects.filter(slug=SLUG).first()
    if (
        channel is not None
        and Notice.objects.filter(channel=channel).count() == NOTICES
    ):
        print(f"reusing the channel '{SLUG}' of the last run")
        return channel
    if channel is not None:
        raise SystemExit(
            f"The channel '{SLUG}' of an interrupted run is incomplete; drop the "
            "benchmark database and run again."
        )
    channel = bench_support.webhook_channel(
        "http://127.0.0.1:9/unused", bench_support.WEBHOOK_SECRET
    )
    channel.slug = channel.name = SLUG
    channel.save(update_fields=["slug", "name"])
    started = time.perf_counter()
    fill(channel)
    print(
        f"filled {NOTICES:,} notices, {PROMISES:,} promises, {ALERTS:,} alerts and "
        f"{CODES} promoted codes in {time.perf_counter() - started:.1f} s"
    )
    return channel


def staff_client() -> ApiClient:
    user = User.objects.filter(email=STAFF_EMAIL).first()
    if user is None:
        user = User.objects.create(email=STAFF_EMAIL, is_staff=True, is_active=True)
        user.user_permissions.add(Permission.objects.get(codename="manage_plugins"))
    return ApiClient(user=user, SERVER_NAME="127.0.0.1")


def timings_of(call, *, runs=RUNS, before=None) -> list[float]:
    timings = []
    for _ in range(runs):
        if before is not None:
            before()
        begin = time.perf_counter()
        call()
        timings.append(time.perf_counter() - begin)
    return sorted(timings)


def row(label, timings) -> str:
    median = statistics.median(timings) * 1000
    return f"| {label:<58} | {median:>8.2f} ms | {timings[-1] * 1000:>8.2f} ms |"


def forget(channel_ids):
    cache.delete_many([channel_status.cache_key(pk) for pk in channel_ids])


def main():
    channel = store_channel()
    forget([channel.pk])
    read_connection = connections[channel_status.read_connection_name()]
    with CaptureQueriesContext(read_connection) as queries:
        values = channel_status.status_values(channel.pk)
    for name, line in values.items():
        print(f"{name}: {line}")
    assert "unavailable right now" not in values.values(), values
    print(
        f"statements per uncached read on the '{read_connection.alias}' connection: "
        f"{len(queries)}"
    )

    results = [
        row(
            "status_values, uncached",
            timings_of(
                lambda: channel_status.status_values(channel.pk),
                before=lambda: forget([channel.pk]),
            ),
        ),
        row(
            "status_values, cached",
            timings_of(lambda: channel_status.status_values(channel.pk)),
        ),
    ]

    if "resolve_plugin_configuration" in vars(plugin.CustomerServicePlugin):
        results += plugin_query_rows(values)
    else:
        print("plugin.py does not fill the status lines yet: plugin(id:) not measured")

    print(f"| {'':<58} | {'median':>11} | {'worst':>11} |")
    print(f"|{'-' * 60}|{'-' * 13}|{'-' * 13}|")
    for line in results:
        print(line)


def plugin_query_rows(expected: dict[str, str]) -> list[str]:
    """plugin(id:) through /graphql/ as the Dashboard sends it: the lines of every
    channel uncached, cached, and with the lines' reading replaced by a constant.
    ``expected``: the benchmark channel's lines."""
    client = staff_client()
    channel_ids = list(Channel.objects.values_list("pk", flat=True))

    def query():
        content = client.post_graphql(PLUGIN_QUERY, {"id": PLUGIN_ID}).json()
        assert "errors" not in content, content
        return content

    content = query()
    configurations = content["data"]["plugin"]["channelConfigurations"]
    ours = next(c for c in configurations if c["channel"]["slug"] == SLUG)
    shown = {
        item["name"]: item["value"]
        for item in ours["configuration"]
        if item["name"] in expected
    }
    assert shown == expected, shown
    channels = f"{len(configurations)} channel{'s' if len(configurations) > 1 else ''}"
    with_lines = timings_of(query, before=lambda: forget(channel_ids))
    cached = timings_of(query)
    # plugin.py looks the function up in the module at each call.
    real = channel_status.status_values
    channel_status.status_values = lambda channel_id, **kwargs: expected
    try:
        without = timings_of(query)
    finally:
        channel_status.status_values = real
    return [
        row(f"plugin(id:) ({channels}), lines uncached", with_lines),
        row(f"plugin(id:) ({channels}), lines cached", cached),
        row(f"plugin(id:) ({channels}), lines not read (a constant)", without),
    ]


if __name__ == "__main__":
    main()
