"""A store with 1,000,000 Saleor checkouts and 1,000,000 Saleor orders, for the
benchmarks of the survey sweeps (and of anything else that needs tables of that
size), written once in SQL and kept in the benchmark database for the next run.

One row of each kind is made through Saleor's models (so every column a Saleor
version requires is filled as Saleor fills it); the rest are copies of it made with
``INSERT ... SELECT generate_series``, each with its own key, e-mail and times.
Times are relative to the store's ``reference`` moment (the newest checkout's last
change), so a run on a later day measures the same rows as the first one.

The shape (``abandoned_hours`` 24 and ``completed_days`` 7 in the channel):

- checkouts, ``last_change`` spread over 30 days before ``reference``:
  ``DUE_NOW`` of them (each with an e-mail and a line) in the hour before
  ``reference - 24 h`` (the abandoned-checkout window when the previous sweep ran
  an hour before ``reference``), ``DUE_MORE - DUE_NOW`` more with a line in the 9
  hours before that (due as well when it ran 10 hours before), the others older or
  untouched for less than 24 hours, half of them with a line, one in ten without
  an e-mail. Of the window's checkouts, ``ORDERED_SINCE`` belong to
  e-mails that placed an order an hour ago, and ``FATIGUED`` to customers asked in
  a survey five days ago;
- orders, created 8 to 60 days before ``reference``, one in ten placed by the
  customer's account (the others as guests), 300,000 customers, every order but the
  cancelled ones fulfilled; surveys of completed orders: ``DUE_NOW`` scheduled in
  the hour before ``reference``, ``DUE_MORE - DUE_NOW`` in the hour after it,
  90,000 later in the next six days, 300,000 sent 31 to 60 days ago (``FATIGUED`` of them
  five days ago), 50,000 skipped.
"""

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from saleor.account.models import User
from saleor.channel.models import Channel
from saleor.checkout.models import Checkout, CheckoutLine
from saleor.order import FulfillmentStatus, OrderOrigin, OrderStatus
from saleor.order.models import Fulfillment, Order, OrderLine
from saleor.product.models import Category, Product, ProductType, ProductVariant

import bench_support
from saleor_cs_plugin.models import Survey

CHECKOUTS = 1_000_000
ORDERS = 1_000_000
CUSTOMERS = 300_000
# Due in the first sweep; due when the sweep looks further (the same tables).
DUE_NOW = 1_000
DUE_MORE = 10_000
ORDERED_SINCE = 100
FATIGUED = 100
CANCELLED = 20
SCHEDULED_LATER = 90_000
SENT = 300_000
SKIPPED = 50_000
# Orders are numbered from here (order ``i`` is number ``NUMBER_BASE + i``).
NUMBER_BASE = 50_000_000
SLUG = "bench-surveys"
SETTINGS = {
    "survey_completed_percent": "100",
    "survey_completed_days": "7",
    "survey_abandoned_percent": "100",
    "survey_abandoned_hours": "24",
    "survey_fatigue_days": "30",
    "storefront_url": "https://shop.example.com",
}


def reference(channel) -> datetime:
    """The store's "now": the last change of its newest checkout."""
    return (
        Checkout.objects.filter(channel=channel)
        .order_by("-last_change")
        .values_list("last_change", flat=True)
        .first()
    )


def store() -> Channel:
    """The benchmark's channel with its checkouts and orders, filled on the first
    run and reused after it."""
    channel = Channel.objects.filter(slug=SLUG).first()
    if channel is not None:
        checkouts = Checkout.objects.filter(channel=channel).count()
        orders = Order.objects.filter(channel=channel).count()
        if checkouts == CHECKOUTS and orders == ORDERS:
            print(
                f"  reusing {checkouts:,} checkouts and {orders:,} orders of an earlier run"
            )
            return channel
        raise SystemExit(
            f"The channel '{SLUG}' of an interrupted run is incomplete ({checkouts:,} "
            f"checkouts, {orders:,} orders); drop the benchmark database and run again."
        )
    started = time.perf_counter()
    now = datetime.now(UTC).replace(microsecond=0)
    # One transaction: a run interrupted here leaves nothing behind.
    with transaction.atomic():
        channel = bench_support.webhook_channel(
            "http://127.0.0.1:9/unused", bench_support.WEBHOOK_SECRET, **SETTINGS
        )
        channel.slug = channel.name = SLUG
        channel.save(update_fields=["slug", "name"])
        variant = _variant()
        _fill_checkouts(channel, variant, now)
        print(f"  {CHECKOUTS:,} checkouts in {time.perf_counter() - started:.0f} s")
        _fill_orders(channel, variant, now)
        print(f"  and {ORDERS:,} orders in {time.perf_counter() - started:.0f} s")
    with connection.cursor() as cursor:
        # As a live store's tables would be: vacuumed, analysed, written to disk.
        for table in (
            "account_user",
            "checkout_checkout",
            "checkout_checkoutline",
            "order_order",
            "order_orderline",
            "order_fulfillment",
            Survey._meta.db_table,
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("CHECKPOINT")
    print(f"  filled and vacuumed in {time.perf_counter() - started:.0f} s")
    return channel


def _variant() -> ProductVariant:
    product_type = ProductType.objects.create(
        name=SLUG, slug=SLUG, kind="normal", is_shipping_required=True
    )
    category = Category.objects.create(name=SLUG, slug=SLUG)
    product = Product.objects.create(
        name="Blue shirt",
        slug=SLUG,
        product_type=product_type,
        category=category,
        description_plaintext="",
    )
    return ProductVariant.objects.create(product=product, sku=SLUG, name="M")


def _fill_checkouts(channel, variant, now) -> None:
    """The checkouts, numbered ``n`` from 1: 1..DUE_NOW in the window, the next
    ones to DUE_MORE in the band before it, the rest spread over 30 days."""
    window_end = now - timedelta(hours=24)
    template = Checkout.objects.create(
        channel=channel,
        currency=channel.currency_code,
        country="US",
        email="template@example.com",
        language_code="en",
    )
    CheckoutLine.objects.create(
        checkout=template,
        variant=variant,
        quantity=1,
        currency=channel.currency_code,
        undiscounted_unit_price_amount=Decimal("20.00"),
    )
    # n's last change: the window [-25 h, -24 h) and the band [-34 h, -25 h)
    # evenly; the others anywhere in 30 days outside them.
    last_change = f"""
        CASE
          WHEN n <= {DUE_NOW} THEN %(window_end)s - n * interval '3.6 seconds'
          WHEN n <= {DUE_MORE} THEN %(window_end)s - interval '1 hour'
                                    - (n - {DUE_NOW}) * interval '3.6 seconds'
          ELSE %(now)s - mod(n::bigint * 7919, 30 * 86400 - 36001) * interval '1 second'
               - CASE WHEN mod(n::bigint * 7919, 30 * 86400 - 36001) >= 86400
                      THEN interval '10 hours 1 second' ELSE interval '0' END
        END
    """
    # The window's e-mails: ORDERED_SINCE "returners" (orders an hour ago), then
    # FATIGUED customers asked five days ago, then new customers.
    email = f"""
        CASE
          WHEN n <= {ORDERED_SINCE} THEN 'returner-' || n || '@example.com'
          WHEN n <= {ORDERED_SINCE + FATIGUED} THEN 'cust-' || (n - {ORDERED_SINCE}) || '@example.com'
          WHEN n <= {DUE_MORE} THEN 'shopper-' || n || '@example.com'
          WHEN mod(n, 10) = 0 THEN NULL
          ELSE 'shopper-' || n || '@example.com'
        END
    """
    params = {"now": now, "window_end": window_end}
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            CREATE TEMPORARY TABLE bench_checkout ON COMMIT DROP AS
            SELECT n, gen_random_uuid() AS token, ({last_change}) AS last_change,
                   ({email}) AS email
            FROM generate_series(1, {CHECKOUTS - 1}) AS n
            """,
            params,
        )
    bench_support.copy_rows(
        Checkout,
        template.pk,
        "bench_checkout b",
        {
            "token": "b.token",
            "email": "b.email",
            "created_at": "b.last_change - interval '20 minutes'",
            "last_change": "b.last_change",
            "language_code": "CASE WHEN mod(b.n, 5) = 0 THEN 'pl' ELSE 'en' END",
        },
    )
    bench_support.copy_rows(
        CheckoutLine,
        CheckoutLine.objects.get(checkout=template).pk,
        "bench_checkout b",
        {
            "id": "gen_random_uuid()",
            "checkout_id": "b.token",
            "created_at": "b.last_change",
        },
        where=f"b.n <= {DUE_MORE} OR mod(b.n, 2) = 0",
    )
    # The template is the newest checkout: the store's reference moment.
    Checkout.objects.filter(pk=template.pk).update(last_change=now, created_at=now)


def _fill_orders(channel, variant, now) -> None:
    """Orders ``i`` = number - NUMBER_BASE from 1: 1..DUE_NOW with surveys due in
    the hour before ``now``, to DUE_MORE in the hour after, to 100,000 later, then
    sent and skipped surveys; customers ``cust-(i % CUSTOMERS)``."""
    template_user = User.objects.create(
        email="bench-template@example.com", first_name="A", last_name="B"
    )
    bench_support.copy_rows(
        User,
        template_user.pk,
        f"generate_series(0, {CUSTOMERS - 1}, 10) AS n",
        {
            "email": "'cust-' || n || '@example.com'",
            "uuid": "gen_random_uuid()",
            "search_document": "'cust-' || n || '@example.com'",
        },
    )
    ordered_at = now - timedelta(days=8)
    template = Order.objects.create(
        number=NUMBER_BASE,
        channel=channel,
        user_email="bench-template@example.com",
        currency=channel.currency_code,
        origin=OrderOrigin.CHECKOUT,
        status=OrderStatus.FULFILLED,
        created_at=ordered_at,
        lines_count=1,
        language_code="en",
    )
    prices = {
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
    }
    template_line = OrderLine.objects.create(
        order=template,
        variant=variant,
        product_name="Blue shirt",
        variant_name="M",
        quantity=1,
        quantity_fulfilled=1,
        is_shipping_required=True,
        is_gift_card=False,
        currency=channel.currency_code,
        **prices,
    )
    template_fulfillment = Fulfillment.objects.create(
        order=template, fulfillment_order=1, status=FulfillmentStatus.FULFILLED
    )
    # Order i's customer; the ORDERED_SINCE "returners" of the checkouts placed
    # orders i = 450001.. an hour ago.
    returner_first = 450_001
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            CREATE TEMPORARY TABLE bench_order ON COMMIT DROP AS
            SELECT i, gen_random_uuid() AS id,
                   CASE WHEN i BETWEEN {returner_first} AND {returner_first + ORDERED_SINCE - 1}
                        THEN 'returner-' || (i - {returner_first - 1}) || '@example.com'
                        ELSE 'cust-' || mod(i, {CUSTOMERS}) || '@example.com' END AS email,
                   CASE WHEN i BETWEEN {returner_first} AND {returner_first + ORDERED_SINCE - 1}
                        THEN %(now)s - interval '1 hour'
                        ELSE %(ordered_at)s - mod(i::bigint * 7919, 52 * 86400) * interval '1 second'
                   END AS created_at,
                   CASE WHEN i <= {DUE_NOW} AND mod(i, {DUE_NOW // CANCELLED}) = 0
                        THEN 'canceled' ELSE 'fulfilled' END AS status
            FROM generate_series(1, {ORDERS - 1}) AS i
            """,
            {"now": now, "ordered_at": ordered_at},
        )
        cursor.execute("CREATE INDEX ON bench_order (email)")
        cursor.execute("ANALYZE bench_order")
    bench_support.copy_rows(
        Order,
        template.pk,
        "bench_order b LEFT JOIN account_user u "
        "ON u.email = b.email AND mod(b.i, 10) = 0",
        {
            "id": "b.id",
            "number": f"{NUMBER_BASE} + b.i",
            "user_email": "b.email",
            "user_id": "u.id",
            "status": "b.status",
            "created_at": "b.created_at",
            "updated_at": "b.created_at + interval '2 days'",
            "language_code": "CASE WHEN mod(b.i, 5) = 0 THEN 'pl' ELSE 'en' END",
            "search_document": "b.email",
            # Placed from checkouts (Saleor keeps the token), one in ten drafts.
            "checkout_token": "CASE WHEN mod(b.i, 10) = 5 THEN '' ELSE gen_random_uuid()::text END",
        },
    )
    # Lines for the orders with surveys of the next week (others need none here).
    bench_support.copy_rows(
        OrderLine,
        template_line.pk,
        "bench_order b",
        {"id": "gen_random_uuid()", "order_id": "b.id", "created_at": "b.created_at"},
        where=f"b.i <= {DUE_MORE + SCHEDULED_LATER}",
    )
    bench_support.copy_rows(
        Fulfillment,
        template_fulfillment.pk,
        "bench_order b",
        {"order_id": "b.id", "created_at": "b.created_at + interval '1 day'"},
        where="b.status = 'fulfilled'",
    )
    _fill_surveys(channel, now)


def scheduled_due_at(i: str) -> str:
    """SQL of the scheduled due time of order ``i``'s survey (``%(now)s`` the
    store's reference), for the fill and for putting swept rows back."""
    return f"""
        CASE
          WHEN {i} <= {DUE_NOW} THEN %(now)s - ({i}) * interval '3.6 seconds'
          WHEN {i} <= {DUE_MORE} THEN %(now)s + ({i} - {DUE_NOW}) * interval '0.4 seconds'
          ELSE %(now)s + interval '1 hour' + mod({i} * 7919, 518400) * interval '1 second'
        END
    """


def _fill_surveys(channel, now) -> None:
    scheduled = DUE_MORE + SCHEDULED_LATER
    sent_end = scheduled + SENT
    fatigued_first = 300_001  # customers 1..FATIGUED (cust-(i % CUSTOMERS))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {Survey._meta.db_table} (
                id, created_at, updated_at, survey_key, moment, problem_kind,
                problem_ref, channel_id, order_id, user_id, email, language, status,
                skip_reason, due_at, sent_at, closes_at, link_nonce, what_went_wrong,
                why_not_completed, comment, satisfied, first_answered_at, answered_at
            )
            SELECT gen_random_uuid(), o.created_at, o.created_at,
                   'completed:' || o.id, 'completed', '', '', o.channel_id, o.id,
                   o.user_id, o.user_email,
                   CASE WHEN s.status = 'scheduled' THEN '' ELSE o.language_code END,
                   s.status,
                   CASE WHEN s.status = 'skipped' THEN 'not_sampled' ELSE '' END,
                   CASE WHEN s.status = 'scheduled' THEN {scheduled_due_at("s.i")} END,
                   s.sent_at, s.sent_at + interval '14 days',
                   CASE WHEN s.status = 'sent' THEN md5(o.id::text) ELSE '' END,
                   '{{}}', '', '',
                   CASE WHEN s.status = 'sent' AND mod(s.i, 3) = 0 THEN mod(s.i, 2) = 0 END,
                   CASE WHEN s.status = 'sent' AND mod(s.i, 3) = 0 THEN s.sent_at + interval '1 day' END,
                   CASE WHEN s.status = 'sent' AND mod(s.i, 3) = 0 THEN s.sent_at + interval '1 day' END
            FROM (
                SELECT i,
                       CASE WHEN i <= {scheduled} THEN 'scheduled'
                            WHEN i <= {sent_end} THEN 'sent' ELSE 'skipped' END AS status,
                       CASE WHEN i BETWEEN {fatigued_first} AND {fatigued_first + FATIGUED - 1}
                              THEN %(now)s - interval '5 days'
                            WHEN i BETWEEN {scheduled + 1} AND {sent_end}
                              THEN %(now)s - interval '31 days' - mod(i, 29) * interval '1 day'
                       END AS sent_at
                FROM generate_series(1, {sent_end + SKIPPED}) AS i
            ) s
            JOIN order_order o ON o.number = {NUMBER_BASE} + s.i
            """,
            {"now": now},
        )
