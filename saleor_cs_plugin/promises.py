"""Delivery promises: record an order's promise, sweep for promises at risk or late,
close them when the order ships or is cancelled.

Each use case reads what it needs from Saleor, decides with ``domain.promises``, and
writes its rows, notices and order notes in one transaction. It returns the ids of
the notices it created; the caller schedules their delivery after commit.
"""

import logging
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings as django_settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Max, Q, Sum
from saleor.discount import DiscountValueType, VoucherType
from saleor.discount.models import Voucher, VoucherChannelListing, VoucherCode
from saleor.order import FulfillmentStatus, OrderEvents, OrderOrigin, OrderStatus
from saleor.order.models import Fulfillment, FulfillmentLine, Order, OrderEvent
from saleor.plugins.models import PluginConfiguration

from . import db, fetch, language, outbox
from .config import PLUGIN_ID, ChannelSettings, PromiseSettings, SettingsError
from .domain.notices import (
    ORDER_NOTE_KEY,
    NoticeStatus,
    NoticeType,
    decided_note,
    idempotency_key,
)
from .domain.promises import (
    DELAY_NOTICE_TYPES,
    OPEN_STATUSES,
    Apology,
    DelayMessage,
    DelayStage,
    OpenPromise,
    Problem,
    PromiseStatus,
    WaitingLine,
    closing_status,
    delay_facts,
    delay_message,
    delivery_problem,
    first_review,
    is_delivered_on_time,
    may_issue_apology,
    on_the_way_message,
    passed_stage_note,
    promise_dates,
    review_promise,
)
from .domain.surveys import ProblemKind
from .models import ApologyVoucher, DeliveryPromise, DeliveryPromiseLine, Notice
from .surveys import schedule

logger = logging.getLogger(__name__)

SWEEP_BATCH = 1000
# Orders placed within this window that lack a promise (their hook was lost when
# the process stopped right after the order was saved) get one from the sweep.
BACKFILL_WINDOW = timedelta(hours=24)
# Fulfilments in these states have not left, or never will: their lines still wait.
NOT_SHIPPED_FULFILLMENT_STATUSES = (
    FulfillmentStatus.WAITING_FOR_APPROVAL,
    FulfillmentStatus.CANCELED,
)
CLOSED_ORDER_STATUSES = (OrderStatus.CANCELED, OrderStatus.EXPIRED)
# Notices that reached the customer, or are on their way to.
TOLD_OR_TELLING = (NoticeStatus.PENDING, NoticeStatus.SENDING, NoticeStatus.SENT)
# A delay the customer was told is late: once the order ships, they are asked how
# it was handled (an at-risk warning alone is no problem handled).
TOLD_DELAY_STAGES = (DelayStage.LATE, DelayStage.FOLLOW_UP)
NOTICE_TYPES = {
    DelayStage.AT_RISK: NoticeType.ORDER_DELAY,
    DelayStage.LATE: NoticeType.ORDER_DELAY,
    DelayStage.FOLLOW_UP: NoticeType.ORDER_DELAY_FOLLOW_UP,
}


# Recording -------------------------------------------------------------------------


def record_promise(
    order, settings: PromiseSettings, *, recorded_at: datetime | None = None
) -> DeliveryPromise | None:
    """Snapshot the promise of a new order; None when it has none (nothing to ship,
    no delivery days known). Recording twice keeps the first.

    ``order`` is the instance Saleor's hook passes; this costs three statements.
    ``recorded_at``: when the promise is recorded, if later than the order was
    placed (a backfill). A delay stage the order had reached by then is marked
    without a notice and noted on the order as not told (``first_review``).
    """
    if (
        order.status in (OrderStatus.DRAFT, *CLOSED_ORDER_STATUSES)
        or order.shipping_method_id is None
    ):
        return None
    shipping_method = order.shipping_method
    delivery_days = _delivery_days(shipping_method, settings.default_delivery_days)
    if delivery_days is None:
        return None
    lines = list(
        order.lines.filter(is_shipping_required=True).only(
            "pk", "product_name", "variant_name", "product_sku", "quantity"
        )
    )
    if not lines:
        return None
    dates = promise_dates(
        order.created_at,
        calendar=settings.calendar,
        minimum_delivery_days=delivery_days[0],
        maximum_delivery_days=delivery_days[1],
    )
    recorded_at = max(recorded_at or order.created_at, order.created_at)
    open_promise = OpenPromise(
        ordered_at=order.created_at,
        ship_by=dates.ship_by,
        deliver_by=dates.deliver_by,
        ship_by_deadline=dates.ship_by_deadline,
        maximum_delivery_days=delivery_days[1],
        notified_stage=DelayStage.NONE,
        waiting_lines=tuple(_unshipped_lines(lines, recorded_at > order.created_at)),
    )
    review = first_review(
        open_promise,
        recorded_at=recorded_at,
        rules=settings.rules,
        calendar=settings.calendar,
    )
    promise = DeliveryPromise(
        order_id=order.pk,
        channel_id=order.channel_id,
        ordered_at=order.created_at,
        shipping_method_name=order.shipping_method_name or shipping_method.name,
        minimum_delivery_days=delivery_days[0],
        maximum_delivery_days=delivery_days[1],
        handling_days=settings.calendar.handling_days,
        ship_by=dates.ship_by,
        ship_by_deadline=dates.ship_by_deadline,
        deliver_from=dates.deliver_from,
        deliver_by=dates.deliver_by,
        review_at=review.next_review_at,
    )
    note = None
    if review.passed_stage:
        promise.status = review.status
        promise.notified_stage = review.passed_stage
        promise.estimated_ship_by = review.estimate.ship_by
        promise.estimated_deliver_by = review.estimate.deliver_by
        facts = delay_facts(open_promise, review.estimate)
        note = _order_note(
            order.pk, passed_stage_note(review.passed_stage, facts), recorded_at
        )
    with transaction.atomic():
        if not db.insert_rows(
            DeliveryPromise, [promise], skip_conflicts=True, returning="id"
        ):
            return DeliveryPromise.objects.get(order_id=order.pk)
        db.insert_rows(
            DeliveryPromiseLine,
            [
                DeliveryPromiseLine(
                    promise=promise,
                    order_line_id=line.pk,
                    product_name=line.product_name,
                    variant_name=line.variant_name,
                    quantity=line.quantity,
                )
                for line in lines
            ],
        )
        if note is not None:
            note.save()
    return promise


def _unshipped_lines(lines, is_recorded_late: bool) -> list[WaitingLine]:
    """The lines of a promise being recorded, less what shipped already (read only
    for a promise recorded late: a new order has shipped nothing). An order whose
    lines all shipped keeps a line, so that the first review leaves closing it to
    the sweep."""
    shipped = (
        _shipped_quantities([line.pk for line in lines]) if is_recorded_late else {}
    )
    waiting = [
        WaitingLine(
            line.product_name,
            line.variant_name,
            line.quantity - shipped.get(line.pk, (0, None))[0],
            line.product_sku or "",
        )
        for line in lines
    ]
    return [line for line in waiting if line.quantity > 0] or [WaitingLine("", "", 1)]


def record_promise_of(
    order_id, recorded_at: datetime | None = None
) -> DeliveryPromise | None:
    """Record the promise of an order read from the database, if the plugin is
    active in its channel with valid settings (``recorded_at``: see
    ``record_promise``)."""
    order = Order.objects.select_related("shipping_method").filter(pk=order_id).first()
    if order is None:
        return None
    try:
        channel_plugin = fetch.channel_plugin(order.channel_id)
    except SettingsError:
        logger.warning("No promise for order %s: invalid channel settings.", order.pk)
        return None
    if not channel_plugin.is_active:
        return None
    return record_promise(
        order, channel_plugin.settings.promises, recorded_at=recorded_at
    )


def _delivery_days(shipping_method, default) -> tuple[int, int] | None:
    low = shipping_method.minimum_delivery_days
    high = shipping_method.maximum_delivery_days
    if low is None and high is None:
        return default
    if high is None:
        return (low, low)
    return (min(low if low is not None else 0, high), high)


def backfill_promises(now: datetime) -> int:
    """Record promises of recent orders that have none: their ``order_created`` hook
    never ran, or the store set default delivery days or turned the plugin on since.

    A delay such an order has already reached is not told to the customer (see
    ``domain.promises.first_review``); its order gets a note saying so.
    """
    order_ids = list(
        Order.objects.filter(
            created_at__gte=now - BACKFILL_WINDOW,
            status__in=(
                OrderStatus.UNCONFIRMED,
                OrderStatus.UNFULFILLED,
                OrderStatus.PARTIALLY_FULFILLED,
            ),
            shipping_method__isnull=False,
            cs_delivery_promise__isnull=True,
        )
        .exclude(origin=OrderOrigin.BULK_CREATE)
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    return sum(
        record_promise_of(order_id, recorded_at=now) is not None
        for order_id in order_ids
    )


# Sweeping --------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedNotice:
    """What the sweep tells one customer about one promise (for --dry-run too)."""

    order_id: object
    order_number: str
    recipient_email: str
    stage: DelayStage
    message: DelayMessage


def sweep(now: datetime, *, dry_run: bool = False) -> tuple[list, list[PlannedNotice]]:
    """Review every due promise once. Returns the new notice ids and what was decided.

    Each batch is read, decided and its messages composed without a lock; then one
    short transaction locks the batch's promises (primary-key order, SKIP LOCKED)
    and writes the decisions of those still as they were read: a promise another
    sweep holds, or that a hook changed meanwhile (shipped, cancelled), is left to
    that writer and to the next sweep. Two sweeps at once thus record each decision
    once, and each notice's idempotency key stops a stage being told twice even
    across crashed runs. A dry run decides the same and writes nothing.
    """
    notice_ids: list = []
    planned: list[PlannedNotice] = []
    after = None
    while True:
        due = DeliveryPromise.objects.filter(review_at__lte=now)
        if after is not None:
            # Where the last batch ended: promises it skipped are not read again.
            due = due.filter(
                Q(review_at__gt=after[0]) | Q(review_at=after[0], pk__gt=after[1])
            )
        batch = list(due.order_by("review_at", "pk")[:SWEEP_BATCH])
        if not batch:
            break
        after = (batch[-1].review_at, batch[-1].pk)
        decisions = _review_batch(batch, now)
        if dry_run:
            planned += [d.planned for d in decisions if d.planned is not None]
        else:
            batch_ids, batch_planned = _record_batch(decisions, now)
            notice_ids += batch_ids
            planned += batch_planned
        if len(batch) < SWEEP_BATCH:
            break
    return notice_ids, planned


@dataclass
class _OrderFacts:
    number: str
    status: str
    email: str
    user_id: object
    customer_name: str
    # The order's language, then its customer's (see ``language.for_order``).
    language_codes: tuple[str, ...] = ()

    def language(self, settings: ChannelSettings) -> str:
        """The language the customer is told about this order in."""
        return language.choose(
            *self.language_codes,
            default=settings.language,
            also=settings.written_languages,
        )


@dataclass
class _Decision:
    """One promise as a sweep reviewed it, before it is written."""

    # The promise with its new values set; ``read_at`` is its ``updated_at`` as
    # read: the decision holds while the row still has it.
    promise: DeliveryPromise
    read_at: datetime
    shipped_lines: list = field(default_factory=list)
    # Set when a stage is told:
    order: _OrderFacts | None = None
    settings: ChannelSettings | None = None
    words: object = None
    open_promise: OpenPromise | None = None
    review: object = None
    message: DelayMessage | None = None
    planned: PlannedNotice | None = None


class _BatchWords:
    """A language's words as one batch uses them: a sentence is translated and a
    day or a list written once, not once per customer."""

    def __init__(self, words):
        self._words = words
        self.language = words.language
        self._texts: dict = {}

    def _remembered(self, kind, value, write):
        key = (kind, value)
        text = self._texts.get(key)
        if text is None:
            text = self._texts[key] = write(value)
        return text

    def gettext(self, message: str) -> str:
        return self._remembered("text", message, self._words.gettext)

    def date(self, value) -> str:
        return self._remembered("date", value, self._words.date)

    def every(self, items) -> str:
        return self._remembered("every", tuple(items), self._words.every)

    def __getattr__(self, name):
        return getattr(self._words, name)


def _review_batch(batch, now) -> list[_Decision]:
    """Decide every promise of ``batch`` and compose its message (the apology of a
    follow-up is issued when it is written). Reads only: no lock, no write."""
    orders = _order_facts([p.order_id for p in batch])
    waiting, last_shipped_at, shipped = _waiting_lines([p.pk for p in batch], now)
    settings_by_channel = _channel_settings({p.channel_id for p in batch})
    words_by_language: dict = {}
    decisions = []
    for promise in batch:
        decision = _Decision(promise, promise.updated_at, shipped.get(promise.pk, []))
        decisions.append(decision)
        order = orders[promise.order_id]
        settings = settings_by_channel.get(promise.channel_id)
        if order.status in CLOSED_ORDER_STATUSES:
            _close(promise, PromiseStatus.CANCELLED, now)
            continue
        if settings is None:
            # Inactive plugin or invalid settings: look again in an hour.
            promise.review_at = now + timedelta(hours=1)
            continue
        open_promise = _open_promise(
            promise, waiting.get(promise.pk, ()), last_shipped_at.get(promise.pk)
        )
        review = review_promise(
            open_promise,
            now=now,
            rules=settings.promises.rules,
            calendar=settings.promises.calendar,
        )
        if review.is_closed:
            _close(promise, review.status, now, open_promise.last_shipped_at)
            continue
        promise.status = review.status
        promise.review_at = review.next_review_at
        if not review.stage_to_notify:
            continue
        code = order.language(settings)
        words = words_by_language.get(code)
        if words is None:
            words = words_by_language[code] = _BatchWords(language.words_for(code))
        promise.notified_stage = review.stage_to_notify
        promise.estimated_ship_by = review.estimate.ship_by
        promise.estimated_deliver_by = review.estimate.deliver_by
        decision.order, decision.settings, decision.words = order, settings, words
        decision.open_promise, decision.review = open_promise, review
        _compose(decision)
    return decisions


def _compose(decision: _Decision, apology: Apology | None = None) -> None:
    stage = decision.review.stage_to_notify
    decision.message = delay_message(
        words=decision.words,
        order_number=decision.order.number,
        promise=decision.open_promise,
        stage=stage,
        estimate=decision.review.estimate,
        apology=apology,
    )
    decision.planned = PlannedNotice(
        decision.promise.order_id,
        decision.order.number,
        decision.order.email,
        stage,
        decision.message,
    )


def _record_batch(decisions: list[_Decision], now) -> tuple[list, list[PlannedNotice]]:
    """Write the decisions whose promise is unchanged since it was read and not
    held by another sweep, with their notices and order notes, in one transaction.
    Returns the new pending notices' ids and what was told."""
    with transaction.atomic():
        current = dict(
            DeliveryPromise.objects.filter(pk__in=[d.promise.pk for d in decisions])
            .order_by("pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", "updated_at")
        )
        held = [d for d in decisions if current.get(d.promise.pk) == d.read_at]
        if not held:
            return [], []
        db.update_rows(
            DeliveryPromise,
            [d.promise for d in held],
            [
                "status",
                "notified_stage",
                "estimated_ship_by",
                "estimated_deliver_by",
                "review_at",
                "shipped_at",
                "closed_at",
                "updated_at",
            ],
        )
        _mark_shipped([line for d in held for line in d.shipped_lines])
        told = [d for d in held if d.message is not None]
        new_notices, notes = [], []
        for decision in told:
            promise, stage = decision.promise, decision.review.stage_to_notify
            if stage == DelayStage.FOLLOW_UP:
                apology = _issue_apology(
                    promise, decision.order, decision.settings, now, decision.words
                )
                if apology is not None:
                    _compose(decision, apology)
            notice = _customer_notice(
                promise,
                decision.order,
                NOTICE_TYPES[stage],
                stage,
                decision.message,
                decision.settings.notices,
                decision.words.language,
            )
            new_notices.append(notice)
            notes.append(
                _order_note(
                    promise.order_id,
                    decided_note(
                        decision.message.note_topic,
                        notice.transport,
                        decision.message.staff_note,
                    ),
                    now,
                )
            )
        db.insert_rows(OrderEvent, notes)
        return outbox.add_notices(new_notices), [d.planned for d in told]


def _order_facts(order_ids) -> dict:
    return {
        row["pk"]: _OrderFacts(
            number=str(row["number"]),
            status=row["status"],
            email=(row["user_email"] or row["user__email"] or "").lower(),
            user_id=row["user_id"],
            customer_name=row["user__first_name"]
            or row["billing_address__first_name"]
            or "",
            language_codes=(row["language_code"], row["user__language_code"]),
        )
        for row in Order.objects.filter(pk__in=order_ids).values(
            "pk",
            "number",
            "status",
            "user_email",
            "user_id",
            "user__email",
            "user__first_name",
            "billing_address__first_name",
            "language_code",
            "user__language_code",
        )
    }


def _customer_notice(
    promise,
    order: "_OrderFacts",
    notice_type,
    decision,
    message,
    notice_settings,
    language_code: str,
):
    """The notice telling the order's customer ``message`` (worded in
    ``language_code``), keyed by the order and the ``decision`` (a delay stage, a
    fulfilment)."""
    return outbox.new_notice(
        notice_type=notice_type,
        idempotency_key=idempotency_key(notice_type, promise.order_id, decision),
        notice_settings=notice_settings,
        recipient_email=order.email,
        context=_notice_context(order, message, language_code),
        channel_id=promise.channel_id,
        user_id=order.user_id,
        order_id=promise.order_id,
    )


def _waiting_lines(promise_ids, now) -> tuple[dict, dict, dict]:
    """Unshipped lines per promise, when each promise's last line shipped, and the
    lines found shipped (a missed hook) per promise, with their fulfilment's time
    set, to be written by ``_mark_shipped``."""
    rows = list(
        DeliveryPromiseLine.objects.filter(
            promise_id__in=promise_ids, shipped_at__isnull=True
        ).values(
            "pk",
            "promise_id",
            "order_line_id",
            "product_name",
            "variant_name",
            "quantity",
            "order_line__product_sku",
            "promise__ship_by_deadline",
        )
    )
    shipped = _shipped_quantities([row["order_line_id"] for row in rows])
    waiting: dict = {}
    last_shipped_at: dict = {}
    shipped_lines: dict = {}
    for row in rows:
        quantity, shipped_at = shipped.get(row["order_line_id"], (0, None))
        left = row["quantity"] - quantity
        if row["order_line_id"] is None or left <= 0:
            # Shipped, or the line was removed from the order: nothing waits.
            shipped_at = shipped_at or now
            shipped_lines.setdefault(row["promise_id"], []).append(
                DeliveryPromiseLine(
                    pk=row["pk"],
                    shipped_at=shipped_at,
                    is_shipped_on_time=shipped_at < row["promise__ship_by_deadline"],
                )
            )
            last = last_shipped_at.get(row["promise_id"])
            last_shipped_at[row["promise_id"]] = max(shipped_at, last or shipped_at)
            continue
        waiting.setdefault(row["promise_id"], []).append(
            WaitingLine(
                row["product_name"],
                row["variant_name"],
                left,
                row["order_line__product_sku"] or "",
            )
        )
    return waiting, last_shipped_at, shipped_lines


def _mark_shipped(lines: list[DeliveryPromiseLine]) -> None:
    db.update_rows(DeliveryPromiseLine, lines, ["shipped_at", "is_shipped_on_time"])


def _shipped_quantities(order_line_ids) -> dict:
    """{order line id: (quantity shipped, when the last of it shipped)}."""
    rows = (
        FulfillmentLine.objects.filter(
            order_line_id__in=[i for i in order_line_ids if i]
        )
        .exclude(fulfillment__status__in=NOT_SHIPPED_FULFILLMENT_STATUSES)
        .values("order_line_id")
        .annotate(total=Sum("quantity"), last_at=Max("fulfillment__created_at"))
    )
    return {row["order_line_id"]: (row["total"], row["last_at"]) for row in rows}


def _channel_settings(channel_ids) -> dict:
    """Settings of the channels where the plugin is active and configured, in one
    query."""
    result = {}
    for channel_id, channel_plugin in fetch.channel_plugins(channel_ids).items():
        if isinstance(channel_plugin, SettingsError):
            logger.warning("Promises of channel %s wait: invalid settings.", channel_id)
        elif channel_plugin.is_active:
            result[channel_id] = channel_plugin.settings
    return result


def _open_promise(
    promise: DeliveryPromise, waiting_lines, last_shipped_at=None
) -> OpenPromise:
    return OpenPromise(
        ordered_at=promise.ordered_at,
        ship_by=promise.ship_by,
        deliver_by=promise.deliver_by,
        ship_by_deadline=promise.ship_by_deadline,
        maximum_delivery_days=promise.maximum_delivery_days,
        notified_stage=DelayStage(promise.notified_stage),
        waiting_lines=tuple(waiting_lines),
        last_shipped_at=last_shipped_at,
    )


def _close(
    promise: DeliveryPromise, status: PromiseStatus, now: datetime, shipped_at=None
) -> None:
    promise.status = status
    promise.review_at = None
    promise.closed_at = now
    if status in (PromiseStatus.SHIPPED_ON_TIME, PromiseStatus.SHIPPED_LATE):
        promise.shipped_at = shipped_at or now


def _order_note(order_id, message: str, now: datetime) -> OrderEvent:
    return OrderEvent(
        order_id=order_id,
        date=now,
        type=OrderEvents.NOTE_ADDED,
        parameters={"message": message},
    )


def _notice_context(order: _OrderFacts, message: DelayMessage, language_code) -> dict:
    return {
        # The worker renders the merchant's texts of this language.
        "language": language_code,
        "customer_name": order.customer_name,
        "order_number": order.number,
        "subject": message.subject,
        "message": message.message,
        "data": message.data,
        # The delivery notes the outcome on the order's timeline.
        ORDER_NOTE_KEY: message.note_topic,
    }


def _issue_apology(
    promise, order: _OrderFacts, settings: ChannelSettings, now, words
) -> Apology | None:
    """Create a single-use voucher for the customer within the daily limit; None
    when none is issued. Its value is told in ``words``' language."""
    voucher_settings = settings.promises.apology_voucher
    if not voucher_settings.is_enabled or not order.email:
        return None
    existing = ApologyVoucher.objects.filter(promise=promise).first()
    if existing is not None:
        return _apology(
            voucher_settings, existing.code, existing.channel.currency_code, words
        )
    local_today = now.astimezone(ZoneInfo(settings.time_zone)).date()
    with connection.cursor() as cursor:
        # Serialises the daily count per channel between concurrent sweeps.
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))",
            [f"saleor-cs-apology:{promise.channel_id}"],
        )
    issued_today = ApologyVoucher.objects.filter(
        channel_id=promise.channel_id, issued_on=local_today
    ).count()
    if not may_issue_apology(
        issued_today=issued_today, daily_limit=voucher_settings.per_day
    ):
        return None
    code = f"SORRY-{secrets.token_hex(5).upper()}"
    voucher = Voucher.objects.create(
        type=VoucherType.ENTIRE_ORDER,
        name=f"Apology for late order #{order.number}",
        usage_limit=1,
        single_use=True,
        apply_once_per_customer=True,
        start_date=now,
        end_date=now + timedelta(days=voucher_settings.valid_days),
        discount_value_type=(
            DiscountValueType.PERCENTAGE
            if voucher_settings.is_percentage
            else DiscountValueType.FIXED
        ),
        metadata={"saleor_cs_recipient_email": order.email},
    )
    VoucherCode.objects.create(voucher=voucher, code=code)
    listing = VoucherChannelListing.objects.create(
        voucher=voucher,
        channel_id=promise.channel_id,
        discount_value=voucher_settings.value,
        currency=promise.channel.currency_code,
    )
    apology = ApologyVoucher.objects.create(
        promise=promise,
        channel_id=promise.channel_id,
        voucher=voucher,
        code=code,
        recipient_email=order.email,
        issued_on=local_today,
    )
    return _apology(voucher_settings, apology.code, listing.currency, words)


def _apology(voucher_settings, code: str, currency: str, words) -> Apology:
    """The voucher as the customer is told of it, and as staff read it (in
    English, as every order note)."""
    value = voucher_settings.value

    def written(words) -> str:
        if voucher_settings.is_percentage:
            return words.percent(value)
        return words.money(value, currency)

    return Apology(code, written(words), written(language.words_for("en")))


def warm_up() -> None:
    """Load what the first sweep of a new worker process would otherwise load while
    it runs: the translation catalogs and Babel's data of every language the plugin
    speaks or a merchant wrote texts in, and the parsed settings of the channels
    that have the plugin's configuration (``fetch`` keeps one parse per stored
    value). For the worker's start (``worker_process_init``)."""
    spoken = set(language.SPOKEN)
    try:
        channel_ids = list(
            PluginConfiguration.objects.using(
                django_settings.DATABASE_CONNECTION_REPLICA_NAME
            )
            .filter(identifier=PLUGIN_ID)
            .values_list("channel_id", flat=True)
        )
        plugins = fetch.channel_plugins(
            channel_ids, using=django_settings.DATABASE_CONNECTION_REPLICA_NAME
        )
    except DatabaseError as error:
        # Nothing lost: the first sweep reads and parses the settings itself.
        logger.warning("Channel settings not loaded ahead of the sweeps: %s", error)
        plugins = {}
    for plugin in plugins.values():
        if not isinstance(plugin, SettingsError):
            spoken.update(plugin.settings.written_languages)
    today = date.today()
    for code in sorted(spoken):
        words = language.words_for(code)
        words.gettext("Thank you for your patience.")
        words.date(today)
        words.every(["1 × A", "2 × B"])
        words.money(1, "USD")


# Closing ---------------------------------------------------------------------------


def close_shipped_lines(fulfillment_id, now: datetime) -> list:
    """Mark the lines a fulfilment shipped; close the promise once nothing waits.

    A delayed order (late, or whose customer was told of a delay, or is being told)
    that ships gets an "on the way" notice with the tracking number. A stage marked
    without a notice (a promise recorded late) or whose notice failed does not count:
    that customer never heard of a delay. Safe to call twice.
    """
    fulfillment = (
        Fulfillment.objects.filter(pk=fulfillment_id)
        .exclude(status__in=NOT_SHIPPED_FULFILLMENT_STATUSES)
        .first()
    )
    if fulfillment is None:
        return []
    with transaction.atomic():
        promise = (
            DeliveryPromise.objects.select_for_update(of=("self",))
            .filter(order_id=fulfillment.order_id, status__in=OPEN_STATUSES)
            .first()
        )
        if promise is None:
            return []
        shipped_line_ids = set(
            fulfillment.lines.values_list("order_line_id", flat=True)
        )
        waiting, _, shipped = _waiting_lines([promise.pk], now)
        waiting = waiting.get(promise.pk, [])
        _mark_shipped(shipped.get(promise.pk, []))
        shipped_at = fulfillment.created_at
        status = closing_status(
            shipped_at=shipped_at, ship_by_deadline=promise.ship_by_deadline
        )
        was_told = (
            promise.notified_stage != DelayStage.NONE
            and Notice.objects.filter(
                order_id=promise.order_id,
                notice_type__in=DELAY_NOTICE_TYPES,
                status__in=TOLD_OR_TELLING,
            ).exists()
        )
        was_delayed = status == PromiseStatus.SHIPPED_LATE or was_told
        if not waiting:
            _close(promise, status, now, shipped_at)
        promise.save(
            update_fields=[
                "status",
                "review_at",
                "closed_at",
                "shipped_at",
                "updated_at",
            ]
        )
        if not waiting and was_told and promise.notified_stage in TOLD_DELAY_STAGES:
            _schedule_delay_survey(promise, shipped_at)
        if not was_delayed or not shipped_line_ids:
            return []
        try:
            settings = fetch.channel_plugin(promise.channel_id)
        except SettingsError:
            return []
        if not settings.is_active:
            return []
        return _on_the_way(promise, fulfillment, settings.settings, now, tuple(waiting))


def _schedule_delay_survey(promise: DeliveryPromise, shipped_at: datetime) -> None:
    """A customer told their order was late is asked, once it has shipped, whether
    the delay was handled the way they wanted."""
    order = _order_facts([promise.order_id])[promise.order_id]
    schedule.schedule_after_problem(
        kind=ProblemKind.DELAY,
        ref=str(promise.pk),
        order_id=promise.order_id,
        user_id=order.user_id,
        email=order.email,
        channel_id=promise.channel_id,
        handled_at=shipped_at,
    )


def _on_the_way(promise, fulfillment, settings: ChannelSettings, now, waiting) -> list:
    order = _order_facts([promise.order_id])[promise.order_id]
    calendar = settings.promises.calendar
    deliver_by = calendar.add_working_days(
        calendar.processing_day(now), promise.maximum_delivery_days
    )
    words = language.words_for(order.language(settings))
    message = on_the_way_message(
        words=words,
        order_number=order.number,
        tracking_number=fulfillment.tracking_number,
        deliver_by=deliver_by,
        still_waiting=waiting,
    )
    notice = _customer_notice(
        promise,
        order,
        NoticeType.ORDER_ON_THE_WAY,
        fulfillment.pk,
        message,
        settings.notices,
        words.language,
    )
    notice_ids = outbox.add_notices([notice])
    if notice_ids:
        _order_note(
            promise.order_id,
            decided_note(message.note_topic, notice.transport, message.staff_note),
            now,
        ).save()
    return notice_ids


def close_cancelled(order_id, now: datetime) -> bool:
    """Close the promise of a cancelled order without telling anybody."""
    return bool(
        DeliveryPromise.objects.filter(
            order_id=order_id, status__in=OPEN_STATUSES
        ).update(
            status=PromiseStatus.CANCELLED,
            review_at=None,
            closed_at=now,
            updated_at=now,
        )
    )


def confirm_delivery(
    promise: DeliveryPromise, delivered_at: datetime, now: datetime, time_zone: str
) -> Problem | None:
    """Record that a shipped order arrived (a carrier app or staff says so).

    Returns why it cannot be recorded, or None once it is.
    """
    with transaction.atomic():
        promise = DeliveryPromise.objects.select_for_update().get(pk=promise.pk)
        problem = delivery_problem(
            status=PromiseStatus(promise.status),
            delivered_at=delivered_at,
            ordered_at=promise.ordered_at,
            now=now,
        )
        if problem:
            return problem
        promise.status = PromiseStatus.DELIVERED
        promise.delivered_at = delivered_at
        promise.is_delivered_on_time = is_delivered_on_time(
            delivered_at=delivered_at,
            deliver_by=promise.deliver_by,
            time_zone=time_zone,
        )
        promise.save(
            update_fields=[
                "status",
                "delivered_at",
                "is_delivered_on_time",
                "updated_at",
            ]
        )
        # The completed-order survey counts its days from the delivery now.
        schedule.schedule_completed(promise.order_id, handled_at=delivered_at)
    return None
