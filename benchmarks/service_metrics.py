"""Cost of a channel's service metrics (``serviceMetrics``) over 30 days, in a channel
with 1,000,000 orders, 100,000 answered surveys and 1,000,000 service-history
entries; and the same for 7 and 365 days.

Goal: one statement whatever the data, under 1 s for 30 days.

The store (channel ``bench-service-metrics``): orders spread evenly over the 1,000
days before ``END`` (about 30,000 in 30 days), one in four the first order of a new
customer (one in ten of whom orders again two days later), the others of 300,000
returning customers by e-mail (one in ten with an account), every order under a delivery promise and fulfilled, one in
twenty returned, one in fifty (and one in nine new customers) told of a delay, one in a hundred short of stock;
100,000 surveys sent and answered (completed and after-problem ones about orders,
one in ten of abandoned checkouts), 1,000,000 history entries (a third of them
contacts about orders, the others notices sent), 200,000 notices and 100,000 coupon
failures, each spread over the same 1,000 days. Written once with ``INSERT ...
SELECT generate_series`` and kept in the benchmark database for the next run.
"""

import statistics
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import bench_support  # sets Django up
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from saleor.account.models import Group, User
from saleor.channel.models import Channel
from saleor.graphql.tests.fixtures import ApiClient
from saleor.order import FulfillmentStatus, OrderOrigin, OrderStatus
from saleor.order.models import Fulfillment, Order, OrderLine
from saleor.permission.models import Permission

from saleor_cs_plugin.channel_status import read_connection_name
from saleor_cs_plugin.metrics.measure import measure
from saleor_cs_plugin.models import (
    CouponFailure,
    DeliveryPromise,
    Notice,
    ServiceHistoryEntry,
    StockShortage,
    Survey,
)

ORDERS = 1_000_000
CUSTOMERS = 300_000
SURVEYS = 100_000
HISTORY = 1_000_000
NOTICES = 200_000
COUPON_FAILURES = 100_000
DAYS = 1_000
END = datetime(2026, 11, 1, tzinfo=UTC)
NUMBER_BASE = 70_000_000
RUNS = 20
SLUG = "bench-service-metrics"
STAFF_EMAIL = "bench-service-metrics@example.com"
PERIODS = (
    ("30 days", date(2026, 9, 1), date(2026, 10, 1)),
    ("7 days", date(2026, 9, 1), date(2026, 9, 8)),
    ("365 days", date(2025, 10, 1), date(2026, 10, 1)),
)

QUERY = """
query ($channel: String!, $since: Date!, $until: Date!) {
  serviceMetrics(channel: $channel, since: $since, until: $until) {
    surveysSent surveysAnswered responseRate satisfied handledAsWanted
    whatWentWrong { answer count } whyNotCompleted { answer count }
    onTimeShipping onTimeDelivery firstContactResolution
    notices { type status count } couponFailures { reason count } returnRate
    repeatPurchase {
      all { customers repeated rate }
      byExperience { experience customers repeated rate }
    }
  }
}
"""


def _orders(channel) -> None:
    template_user = User.objects.create(
        email="bench-metrics-template@example.com", first_name="A", last_name="B"
    )
    bench_support.copy_rows(
        User,
        template_user.pk,
        f"generate_series(0, {CUSTOMERS - 1}, 10) AS n",
        {
            "email": "'metrics-' || n || '@example.com'",
            "uuid": "gen_random_uuid()",
            "search_document": "'metrics-' || n || '@example.com'",
        },
    )
    template = Order.objects.create(
        number=NUMBER_BASE,
        channel=channel,
        user_email="bench-metrics-template@example.com",
        currency=channel.currency_code,
        origin=OrderOrigin.CHECKOUT,
        status=OrderStatus.FULFILLED,
        created_at=END - timedelta(days=DAYS),
        lines_count=1,
        language_code="en",
    )
    template_line = OrderLine.objects.create(
        order=template,
        product_name="Blue shirt",
        variant_name="M",
        quantity=1,
        quantity_fulfilled=1,
        is_shipping_required=True,
        is_gift_card=False,
        currency=channel.currency_code,
        **{
            f"{name}_amount": Decimal("20.00")
            for name in (
                "unit_price_net",
                "unit_price_gross",
                "total_price_net",
                "total_price_gross",
                "undiscounted_unit_price_net",
                "undiscounted_unit_price_gross",
                "undiscounted_total_price_net",
                "undiscounted_total_price_gross",
                "base_unit_price",
                "undiscounted_base_unit_price",
            )
        },
    )
    template_fulfillment = Fulfillment.objects.create(
        order=template, fulfillment_order=1, status=FulfillmentStatus.FULFILLED
    )
    with connection.cursor() as cursor:
        # Order i, placed at an even pace over DAYS: one in four is the first
        # order of a new customer, and one in ten of those customers orders again
        # two days later (order i + 2002); the others are of customer i * 7919 mod
        # CUSTOMERS (so their orders are far apart), every fifth a second one of
        # the customer of order i - 2000, two days earlier.
        cursor.execute(
            f"""
            CREATE TEMPORARY TABLE bench_metrics_order ON COMMIT DROP AS
            SELECT i, gen_random_uuid() AS id,
                   CASE
                       WHEN mod(i, 4) = 1 THEN 'metrics-new-' || i || '@example.com'
                       WHEN mod(i, 40) = 3 AND i > 2002
                           THEN 'metrics-new-' || (i - 2002) || '@example.com'
                       ELSE 'metrics-' || mod(
                           (i - CASE WHEN mod(i, 5) = 0 THEN 2000 ELSE 0 END)::bigint
                           * 7919, {CUSTOMERS}) || '@example.com'
                   END AS email,
                   %(start)s::timestamptz
                       + (i::float8 / {ORDERS}) * {DAYS} * interval '1 day'
                       AS created_at,
                   CASE WHEN mod(i, 100) = 7 THEN 'canceled' ELSE 'fulfilled' END
                       AS status
            FROM generate_series(1, {ORDERS - 1}) AS i
            """,
            {"start": END - timedelta(days=DAYS)},
        )
        cursor.execute("CREATE INDEX ON bench_metrics_order (email)")
        cursor.execute("ANALYZE bench_metrics_order")
    bench_support.copy_rows(
        Order,
        template.pk,
        "bench_metrics_order b LEFT JOIN account_user u "
        "ON u.email = b.email AND mod(b.i, 10) = 0",
        {
            "id": "b.id",
            "number": f"{NUMBER_BASE} + b.i",
            "user_email": "b.email",
            "user_id": "u.id",
            "status": "b.status",
            "created_at": "b.created_at",
            "updated_at": "b.created_at + interval '2 days'",
            "search_document": "b.email",
        },
    )
    # Lines only where a shortage needs one.
    bench_support.copy_rows(
        OrderLine,
        template_line.pk,
        "bench_metrics_order b",
        {"id": "gen_random_uuid()", "order_id": "b.id", "created_at": "b.created_at"},
        where="mod(b.i, 100) = 3",
    )
    bench_support.copy_rows(
        Fulfillment,
        template_fulfillment.pk,
        "bench_metrics_order b",
        {
            "order_id": "b.id",
            "created_at": "b.created_at + interval '1 day'",
            "status": "CASE WHEN mod(b.i, 20) = 1 THEN 'returned' ELSE 'fulfilled' END",
        },
        where="b.status = 'fulfilled'",
    )
    with connection.cursor() as cursor:
        # Promises: shipped a day after the order (one in eight late), delivered
        # three days after (one in ten late); one in fifty told of a delay.
        cursor.execute(
            f"""
            INSERT INTO {DeliveryPromise._meta.db_table} (
                id, order_id, channel_id, created_at, updated_at, ordered_at,
                shipping_method_name, minimum_delivery_days, maximum_delivery_days,
                handling_days, ship_by, ship_by_deadline, deliver_from, deliver_by,
                status, notified_stage, shipped_at, delivered_at,
                is_delivered_on_time, closed_at
            )
            SELECT gen_random_uuid(), b.id, %(ch)s, b.created_at, b.created_at,
                   b.created_at, 'DHL', 2, 4, 1,
                   (b.created_at + interval '1 day')::date,
                   b.created_at + interval '1 day',
                   (b.created_at + interval '3 days')::date,
                   (b.created_at + interval '5 days')::date,
                   'delivered',
                   CASE WHEN mod(b.i, 50) = 0 OR mod(b.i, 36) = 1 THEN 'late'
                        ELSE '' END,
                   b.created_at + CASE WHEN mod(b.i, 8) = 0 THEN interval '30 hours'
                                       ELSE interval '20 hours' END,
                   b.created_at + interval '3 days',
                   mod(b.i, 10) <> 0,
                   b.created_at + interval '3 days'
            FROM bench_metrics_order b WHERE b.status = 'fulfilled'
            """,
            {"ch": channel.pk},
        )
        cursor.execute(
            f"""
            INSERT INTO {StockShortage._meta.db_table} (
                id, created_at, updated_at, order_id, order_line_id, episode, status,
                quantity_short, short_by_warehouse, offered_alternatives, link_nonce,
                link_expires_at, choice
            )
            SELECT gen_random_uuid(), l.created_at, l.created_at, l.order_id, l.id, 1,
                   'restored', 1, '{{}}'::jsonb, '[]'::jsonb, 'nonce',
                   l.created_at + interval '7 days', ''
            FROM {OrderLine._meta.db_table} l
            JOIN bench_metrics_order b ON b.id = l.order_id
            """
        )
        # Surveys: of every tenth order, the last SURVEYS of them; every tenth
        # survey of an abandoned checkout, every fifth after a problem.
        cursor.execute(
            f"""
            INSERT INTO {Survey._meta.db_table} (
                id, created_at, updated_at, survey_key, moment, problem_kind,
                problem_ref, channel_id, order_id, email, language, status,
                skip_reason, sent_at, closes_at, link_nonce, satisfied,
                handled_as_wanted, what_went_wrong, why_not_completed, comment,
                first_answered_at, answered_at
            )
            SELECT gen_random_uuid(), t, t, 'bench-metrics:' || b.i,
                   CASE WHEN mod(b.i, 100) = 0 THEN 'abandoned'
                        WHEN mod(b.i, 50) = 10 THEN 'after_problem'
                        ELSE 'completed' END,
                   CASE WHEN mod(b.i, 50) = 10 THEN 'delay' ELSE '' END, '',
                   %(ch)s, CASE WHEN mod(b.i, 100) <> 0 THEN b.id END, b.email, 'en',
                   'sent', '', t, t + interval '14 days', 'nonce',
                   CASE WHEN mod(b.i, 100) = 0 THEN NULL ELSE mod(b.i, 7) <> 0 END,
                   CASE WHEN mod(b.i, 7) = 0 OR mod(b.i, 50) = 10
                        THEN mod(b.i, 3) <> 0 END,
                   CASE WHEN mod(b.i, 7) = 0
                        THEN ARRAY[(ARRAY['late', 'damaged', 'wrong_item',
                                          'slow_answer'])[mod(b.i, 4) + 1]]
                        ELSE ARRAY[]::varchar[] END,
                   CASE WHEN mod(b.i, 100) = 0
                        THEN (ARRAY['price', 'shipping_cost', 'just_looking'])[mod(b.i, 3) + 1]
                        ELSE '' END,
                   '', t + interval '2 hours', t + interval '2 hours'
            FROM bench_metrics_order b,
                 LATERAL (SELECT b.created_at + interval '8 days' AS t) AS times
            WHERE mod(b.i, 10) = 0 AND b.i > {ORDERS} - {SURVEYS} * 10
            """,
            {"ch": channel.pk},
        )
        # History: a third contacts about orders (two in three settled at once),
        # the others notices sent; on the orders of the same days.
        cursor.execute(
            f"""
            INSERT INTO {ServiceHistoryEntry._meta.db_table} (
                id, created_at, type, customer_email, order_id, contact_channel,
                actor, is_customer_visible, message, details,
                is_resolved_at_first_contact
            )
            SELECT gen_random_uuid(), b.created_at + interval '1 day',
                   CASE WHEN mod(b.i, 3) = 0 THEN 'contact' ELSE 'notice_sent' END,
                   b.email, b.id,
                   CASE WHEN mod(b.i, 3) = 0 THEN 'phone' ELSE 'email' END,
                   CASE WHEN mod(b.i, 3) = 0 THEN 'staff' ELSE 'plugin' END,
                   false, '', '{{}}'::jsonb,
                   CASE WHEN mod(b.i, 3) = 0 THEN mod(b.i, 9) <> 0 END
            FROM bench_metrics_order b
            WHERE b.i <= {HISTORY}
            """
        )
        cursor.execute(
            f"""
            INSERT INTO {Notice._meta.db_table} (
                id, created_at, updated_at, idempotency_key, notice_type, channel_id,
                recipient_email, transport, is_essential, context, status, attempts,
                next_attempt_at, sent_at, last_error
            )
            SELECT gen_random_uuid(), t, t, 'bench-metrics:' || n,
                   (ARRAY['order_delay', 'order_on_the_way', 'survey'])[mod(n, 3) + 1],
                   %(ch)s, 'metrics-' || mod(n, {CUSTOMERS}) || '@example.com', 'email',
                   false, '{{}}'::jsonb,
                   (ARRAY['sent', 'sent', 'sent', 'failed', 'skipped'])[mod(n, 5) + 1],
                   1, t, t, ''
            FROM generate_series(1, {NOTICES}) AS n,
                 LATERAL (SELECT %(start)s::timestamptz
                          + (n::float8 / {NOTICES}) * {DAYS} * interval '1 day' AS t)
                     AS times
            """,
            {"ch": channel.pk, "start": END - timedelta(days=DAYS)},
        )
        cursor.execute(
            f"""
            INSERT INTO {CouponFailure._meta.db_table} (
                created_at, code, reason, channel_id
            )
            SELECT %(start)s::timestamptz
                       + (n::float8 / {COUPON_FAILURES}) * {DAYS} * interval '1 day',
                   'CODE' || mod(n, 100),
                   (ARRAY['expired', 'unknown_code', 'usage_limit_reached'])[mod(n, 3) + 1],
                   %(ch)s
            FROM generate_series(1, {COUPON_FAILURES}) AS n
            """,
            {"ch": channel.pk, "start": END - timedelta(days=DAYS)},
        )


def store_channel() -> Channel:
    channel = Channel.objects.filter(slug=SLUG).first()
    if channel is not None:
        orders = Order.objects.filter(channel=channel).count()
        if orders == ORDERS:
            print(f"reusing the {orders:,} orders of an earlier run")
            return channel
        raise SystemExit(
            f"The channel '{SLUG}' of an interrupted run is incomplete; drop the "
            "benchmark database and run again."
        )
    channel = Channel.objects.create(
        name=SLUG, slug=SLUG, currency_code="USD", default_country="US"
    )
    started = time.perf_counter()
    with transaction.atomic():
        _orders(channel)
    with connection.cursor() as cursor:
        for model in (
            Order,
            Fulfillment,
            DeliveryPromise,
            StockShortage,
            Survey,
            ServiceHistoryEntry,
            Notice,
            CouponFailure,
        ):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    print(
        f"filled {ORDERS:,} orders, {SURVEYS:,} surveys, {HISTORY:,} history entries, "
        f"{NOTICES:,} notices and {COUPON_FAILURES:,} coupon failures in "
        f"{time.perf_counter() - started:.0f} s"
    )
    return channel


def staff_client() -> ApiClient:
    user = User.objects.filter(email=STAFF_EMAIL).first()
    if user is None:
        user = User.objects.create(email=STAFF_EMAIL, is_staff=True, is_active=True)
        group = Group.objects.create(name=SLUG, restricted_access_to_channels=False)
        group.permissions.add(Permission.objects.get(codename="manage_orders"))
        group.user_set.add(user)
    return ApiClient(user=user, SERVER_NAME="127.0.0.1")


def timings_of(call, *, runs=RUNS) -> list[float]:
    timings = []
    for _ in range(runs):
        begin = time.perf_counter()
        call()
        timings.append(time.perf_counter() - begin)
    return sorted(timings)


def row(label, timings) -> str:
    median = statistics.median(timings) * 1000
    return f"| {label:<44} | {median:>8.1f} ms | {timings[-1] * 1000:>8.1f} ms |"


def main():
    channel = store_channel()
    using = read_connection_name()
    results = []
    for label, since, until in PERIODS:
        with CaptureQueriesContext(connections[using]) as queries:
            metrics = measure(channel.pk, since, until, using=using)
        print(
            f"{label}: {metrics.surveys_sent:,} surveys sent, "
            f"{metrics.orders_fulfilled:,} orders fulfilled, "
            f"{metrics.contacts:,} contacts, "
            f"{metrics.repeat_purchase.total.customers:,} first-time customers "
            f"({metrics.repeat_purchase.rate_percent}% ordered again); "
            f"satisfied {metrics.satisfied_percent}%, on time "
            f"{metrics.on_time_shipping_percent}%; statements: {len(queries)}"
        )
        results.append(
            row(
                f"measure, {label}",
                timings_of(
                    lambda s=since, u=until: measure(channel.pk, s, u, using=using)
                ),
            )
        )
    client = staff_client()
    variables = {"channel": SLUG, "since": "2026-09-01", "until": "2026-10-01"}
    with (
        CaptureQueriesContext(connection) as writer,
        CaptureQueriesContext(connections[using]) as reader,
    ):
        response = client.post_graphql(QUERY, variables)
    assert "errors" not in response.json(), response.json()
    total = len(writer) + (len(reader) if using != connection.alias else 0)
    print(f"serviceMetrics through /graphql/, 30 days: {total} queries")
    results.append(
        row(
            "serviceMetrics through /graphql/, 30 days",
            timings_of(lambda: client.post_graphql(QUERY, variables)),
        )
    )
    print(f"| {'':<44} | {'median':>11} | {'worst':>11} |")
    print(f"|{'-' * 46}|{'-' * 13}|{'-' * 13}|")
    for line in results:
        print(line)


if __name__ == "__main__":
    main()
