"""Stock shortages of order lines: reads Saleor's orders and stocks into the rules'
snapshots, and applies the rules' decisions (shortage rows, notices, the customer's
choice in the history and the order's timeline).

Each use case runs in one transaction and returns the ids of the notices it
recorded (the sweep also the ids of new shortages whose notices workers compose);
the caller schedules delivery and composing after commit. Nothing here changes an
order: a customer's choice is recorded for staff to act on.
"""

import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import graphene
from django.core import signing
from django.db import connection, transaction
from django.db.models import F, Max, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Abs, Coalesce, Greatest
from saleor.order import events as order_events
from saleor.order.models import OrderLine
from saleor.product.models import Product, ProductVariant, ProductVariantChannelListing
from saleor.warehouse.models import Allocation, Stock

from . import db, events, fetch, outbox, staff_alerts
from .config import ChannelSettings, SettingsError
from .domain import items
from .domain.alerts import AlertKind
from .domain.history import Problem
from .domain.notices import NoticeType, idempotency_key
from .domain.shortages import (
    OPEN_ORDER_STATUSES,
    AllocationSnapshot,
    Choice,
    ItemSnapshot,
    LineSnapshot,
    OfferedAlternative,
    OpenShortage,
    ShortageStage,
    ShortageState,
    ShortageStatus,
    Step,
    LinkState,
    choice_alert_title,
    choice_problems,
    choice_note,
    line_shortage,
    link_problems,
    link_state,
    next_step,
    price_band,
    rank_alternatives,
    restock_estimate,
    restored_message,
    short_allocations,
    shortage_message,
)
from .domain.surveys import ProblemKind
from .language import for_order, words_for
from .models import StockShortage
from .pages.links import page_link
from .surveys import schedule

logger = logging.getLogger(__name__)

# Staff set an expected restock date on a variant (private metadata first, then
# public metadata) as an ISO date, e.g. 2026-12-01.
RESTOCK_METADATA_KEY = "cs.restock_date"
CHOICE_TOKEN_SALT = "saleor_cs_plugin.stock-shortage-choice"
# Listings read at a time before ranking (the rule keeps at most 10), and how many
# such pages at most when the closest ones are out of stock.
CANDIDATE_LIMIT = 50
CANDIDATE_PAGES = 4
# One sweep at a time (a second one finds the lock taken and does nothing).
SWEEP_LOCK_KEY = 0x63735F73686F7274  # "cs_short"
# Units of a variant that does not track inventory: never short, always available.
UNLIMITED = 10**9


# ---------------------------------------------------------------------------
# Use cases


@dataclass(frozen=True)
class Review:
    """What looking at lines decided: notices recorded (good news), and shortages
    recorded whose notice is still to compose (``compose_notices``)."""

    notice_ids: list
    shortage_ids: list


def sweep(now: datetime) -> Review:
    """Look at every stock that orders have allocated beyond what is there, and at
    every open shortage again. Cost follows those, not the number of orders.

    New shortages are only recorded here; composing their notices (alternatives,
    restock estimate, link) is per-shortage work for ``compose_notices`` in
    workers. Open shortages whose notice was never composed (a lost task) are
    handed out again.
    """
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [SWEEP_LOCK_KEY])
            (is_locked,) = cursor.fetchone()
        if not is_locked:
            return Review(notice_ids=[], shortage_ids=[])
        short_stock_ids = overallocated_stock_ids()
        line_ids = set(
            Allocation.objects.filter(
                stock_id__in=short_stock_ids, quantity_allocated__gt=0
            ).values_list("order_line_id", flat=True)
        )
        line_ids |= set(
            StockShortage.objects.filter(status=ShortageStatus.OPEN).values_list(
                "order_line_id", flat=True
            )
        )
        review = _review_lines(line_ids, now)
        unnotified = list(
            StockShortage.objects.filter(
                status=ShortageStatus.OPEN, notified_at__isnull=True
            ).values_list("id", flat=True)
        )
        return Review(notice_ids=review.notice_ids, shortage_ids=unnotified)


def overallocated_stock_ids() -> list:
    # Served by the partial index cs_stock_overallocated.
    return list(
        Stock.objects.filter(quantity__lt=F("quantity_allocated")).values_list(
            "id", flat=True
        )
    )


def detect_for_order(order_id, now: datetime) -> list:
    """A new order: are any of its lines not fully allocated, or oversold?
    Composes the notices of new shortages at once (it runs in a worker)."""
    with transaction.atomic():
        line_ids = set(
            OrderLine.objects.filter(order_id=order_id).values_list("id", flat=True)
        )
        review = _review_lines(line_ids, now)
    return review.notice_ids + compose_notices(review.shortage_ids, now)


def detect_for_stocks(stock_ids, now: datetime) -> list:
    """A stock ran out: look at the lines allocated there (in a worker)."""
    with transaction.atomic():
        line_ids = set(
            Allocation.objects.filter(
                stock_id__in=stock_ids, quantity_allocated__gt=0
            ).values_list("order_line_id", flat=True)
        )
        review = _review_lines(line_ids, now)
    return review.notice_ids + compose_notices(review.shortage_ids, now)


def compose_notices(shortage_ids, now: datetime) -> list:
    """Compose and record the notice of each open shortage not yet told: real
    alternatives, the restock estimate, the signed link. Safe to run twice or
    concurrently: a shortage is composed once."""
    if not shortage_ids:
        return []
    with transaction.atomic():
        shortages = list(
            StockShortage.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(
                pk__in=list(shortage_ids),
                status=ShortageStatus.OPEN,
                notified_at__isnull=True,
            )
            .select_related(
                "order",
                "order__channel",
                "order__user",
                "order__billing_address",
                "order_line",
                "order_line__variant",
                "order_line__variant__product",
            )
            .order_by("pk")
        )
        plugins = fetch.active_channel_settings(
            {s.order.channel_id for s in shortages}, unchecked="Stock shortages"
        )
        notice_ids = []
        for shortage in shortages:
            settings = plugins.get(shortage.order.channel_id)
            if settings is None or shortage.order_line.variant is None:
                continue
            notice_ids += _compose_notice(shortage, settings, now)
        return notice_ids


class ChoiceRejected(Exception):
    """The answer was not recorded: every problem, each naming its field.

    ``link_state`` says what a genuine link can no longer do (answered, expired,
    restored, ended); it is None when the token itself is bad (``is_bad_token``),
    names a shortage that no longer exists, or the answer is what is wrong.
    """

    def __init__(self, problems: list[Problem], link_state: LinkState | None = None):
        self.problems = problems
        self.link_state = link_state
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))

    @property
    def is_bad_token(self) -> bool:
        """Changed, cut short, signed elsewhere or for another channel: what a
        guesser sends (an expired or used link is genuine)."""
        return (
            any(p.field == "token" and p.code == "INVALID" for p in self.problems)
            and self.link_state is None
        )


@dataclass(frozen=True)
class ChoiceOutcome:
    shortage: StockShortage
    item_name: str
    alternative_name: str
    notice_ids: list


@dataclass(frozen=True)
class OfferedChoice:
    """An alternative the notice offered, as the choice page shows it."""

    variant_id: str
    global_id: str
    name: str
    price: Decimal
    is_in_stock: bool


@dataclass(frozen=True)
class ChoiceLink:
    """What a genuine link shows: the shortage, whether it still takes an answer,
    and what it offers (alternatives with their stock now, only while open)."""

    shortage: StockShortage
    state: LinkState
    item_name: str
    quantity_short: int
    quantity_ordered: int
    currency: str
    alternatives: list[OfferedChoice]
    # The alternative chosen, when the answer was to switch.
    chosen_alternative_name: str


def choice_token(shortage: StockShortage) -> str:
    """The signed token of a shortage's link: which shortage, and its link nonce."""
    return signing.dumps(
        [str(shortage.pk), shortage.link_nonce], salt=CHOICE_TOKEN_SALT, compress=False
    )


INVALID_TOKEN = Problem(
    "token",
    "INVALID",
    "This link is not valid: it was changed or cut short. Open the link from the "
    "message exactly as it is.",
)
SHORTAGE_NOT_FOUND = Problem(
    "token", "NOT_FOUND", "The order this link was about no longer exists."
)


def verified_shortage(
    token: str, *, channel_id=None, for_update: bool = False
) -> StockShortage:
    """The shortage a choice token names, if the token is genuine: signed with this
    store's key, carrying the shortage's nonce, and (``channel_id`` given) about an
    order of that channel. ``for_update`` locks the row (inside a transaction).

    Raises ``ChoiceRejected``: token INVALID or NOT_FOUND.
    """
    try:
        shortage_id, nonce = signing.loads(token, salt=CHOICE_TOKEN_SALT)
        shortage_id = uuid.UUID(str(shortage_id))
    except (signing.BadSignature, ValueError, TypeError) as error:
        raise ChoiceRejected([INVALID_TOKEN]) from error
    shortages = StockShortage.objects.filter(pk=shortage_id)
    if for_update:
        shortages = shortages.select_for_update(of=("self",))
    shortage = shortages.select_related(
        "order", "order__user", "order_line", "order_line__variant"
    ).first()
    if shortage is None:
        raise ChoiceRejected([SHORTAGE_NOT_FOUND])
    if not secrets.compare_digest(str(nonce), shortage.link_nonce):
        raise ChoiceRejected([INVALID_TOKEN])
    if channel_id is not None and shortage.order.channel_id != channel_id:
        raise ChoiceRejected([INVALID_TOKEN])
    return shortage


def _state(shortage: StockShortage) -> ShortageState:
    return ShortageState(
        status=shortage.status,
        link_expires_at=shortage.link_expires_at,
        chosen_at=shortage.chosen_at,
        offered_alternative_ids=tuple(
            str(a["id"]) for a in shortage.offered_alternatives
        ),
    )


def open_link(token: str, *, channel_id, now: datetime) -> ChoiceLink:
    """What the customer's link shows, read once (the choice page's GET).

    Raises ``ChoiceRejected`` as ``verified_shortage`` does.
    """
    shortage = verified_shortage(token, channel_id=channel_id)
    state = link_state(_state(shortage), now=now)
    line = shortage.order_line
    offered = shortage.offered_alternatives
    in_stock = (
        _in_stock_now(
            [a["id"] for a in offered],
            shortage.order.channel_id,
            line.quantity - line.quantity_fulfilled,
        )
        if state == LinkState.OPEN
        else set()
    )
    chosen_name = ""
    if shortage.chosen_variant_id is not None:
        chosen_name = next(
            (
                a["name"]
                for a in offered
                if str(a["id"]) == str(shortage.chosen_variant_id)
            ),
            "",
        )
    return ChoiceLink(
        shortage=shortage,
        state=state,
        item_name=_line_name(line),
        quantity_short=shortage.quantity_short,
        quantity_ordered=line.quantity - line.quantity_fulfilled,
        currency=shortage.order.currency,
        alternatives=[
            OfferedChoice(
                variant_id=str(a["id"]),
                global_id=graphene.Node.to_global_id("ProductVariant", a["id"]),
                name=a["name"],
                price=Decimal(a["price"]),
                is_in_stock=str(a["id"]) in in_stock,
            )
            for a in offered
        ],
        chosen_alternative_name=chosen_name,
    )


def _in_stock_now(variant_ids: list, channel_id, quantity: int) -> set[str]:
    """Which of the variants the channel's warehouses can still cover ``quantity``
    of (units nobody has allocated; a variant that does not track inventory
    always), as strings."""
    if not variant_ids:
        return set()
    untracked = set(
        ProductVariant.objects.filter(
            pk__in=variant_ids, track_inventory=False
        ).values_list("pk", flat=True)
    )
    free = (
        Stock.objects.filter(
            product_variant_id__in=variant_ids, warehouse__channels__id=channel_id
        )
        .values("product_variant_id")
        .annotate(free=Sum(Greatest(F("quantity") - F("quantity_allocated"), Value(0))))
        .values_list("product_variant_id", "free")
    )
    return {str(pk) for pk in untracked} | {
        str(pk) for pk, units in free if units >= quantity
    }


def record_choice(
    token: str,
    *,
    choice: str,
    alternative_id: str | None,
    now: datetime,
    channel_id=None,
) -> ChoiceOutcome:
    """The customer answered through their link: record it once, note it in the
    order's timeline and the service history, and put it in the staff inbox (and
    the channel's staff e-mail, when one is set).

    ``channel_id``: the channel whose page took the answer (a link of another
    channel's order is not valid there); the GraphQL mutation serves every channel.
    Raises ``ChoiceRejected`` with every problem, each naming its field.
    """
    with transaction.atomic():
        shortage = verified_shortage(token, channel_id=channel_id, for_update=True)
        state = _state(shortage)
        problems = link_problems(state, now=now)
        if problems:
            raise ChoiceRejected(problems, link_state(state, now=now))
        problems = choice_problems(state, choice=choice, alternative_id=alternative_id)
        if problems:
            raise ChoiceRejected(problems)
        alternative_name = ""
        if choice == Choice.SWITCH:
            alternative_name = next(
                a["name"]
                for a in shortage.offered_alternatives
                if str(a["id"]) == alternative_id
            )
        # Single use: only the first answer matches; the row lock above orders
        # two answers arriving at once.
        updated = StockShortage.objects.filter(
            pk=shortage.pk, chosen_at__isnull=True
        ).update(
            choice=choice,
            chosen_variant_id=alternative_id if choice == Choice.SWITCH else None,
            chosen_at=now,
            updated_at=now,
        )
        if not updated:
            answered = ShortageState(
                status=shortage.status,
                link_expires_at=shortage.link_expires_at,
                chosen_at=now,
                offered_alternative_ids=(),
            )
            raise ChoiceRejected(
                link_problems(answered, now=now), link_state(answered, now=now)
            )
        shortage.refresh_from_db()
        order = shortage.order
        line = shortage.order_line
        item_name = _line_name(line)
        note = choice_note(
            item_name=item_name, choice=choice, alternative_name=alternative_name
        )
        events.customer_choice_event(
            order=order,
            message=note,
            details={
                "shortageId": str(shortage.pk),
                "orderLineId": str(line.pk),
                "choice": choice,
                "alternativeVariantId": (
                    graphene.Node.to_global_id("ProductVariant", alternative_id)
                    if alternative_id
                    else None
                ),
            },
        )
        order_events.order_note_added_event(
            order=order, user=None, app=None, message=note
        )
        _schedule_survey(shortage, order, now)
        notice_ids = _alert_staff(
            shortage,
            order,
            note,
            title=choice_alert_title(
                order_number=str(order.number),
                item_name=item_name,
                choice=choice,
                alternative_name=alternative_name,
            ),
            now=now,
        )
    return ChoiceOutcome(
        shortage=shortage,
        item_name=item_name,
        alternative_name=alternative_name,
        notice_ids=notice_ids,
    )


# ---------------------------------------------------------------------------
# Reading Saleor


@dataclass
class _Line:
    """An order line with what the rules and the notices need."""

    line: OrderLine
    snapshot: LineSnapshot
    is_open: bool


def _review_lines(line_ids, now: datetime) -> Review:
    if not line_ids:
        return Review(notice_ids=[], shortage_ids=[])
    lines = list(
        OrderLine.objects.filter(pk__in=line_ids).select_related(
            "order",
            "order__channel",
            "order__user",
            "order__billing_address",
            "variant",
            "variant__product",
        )
    )
    plugins = fetch.active_channel_settings(
        {line.order.channel_id for line in lines}, unchecked="Stock shortages"
    )
    lines = [line for line in lines if line.order.channel_id in plugins]
    if not lines:
        return Review(notice_ids=[], shortage_ids=[])
    reviewed = _line_snapshots(lines)
    open_shortages = {
        shortage.order_line_id: shortage
        for shortage in StockShortage.objects.filter(
            order_line_id__in=[line.pk for line in lines],
            status=ShortageStatus.OPEN,
        )
    }
    steps = []
    for item in reviewed:
        shortage = open_shortages.get(item.line.pk)
        quantity_short = line_shortage(item.snapshot)
        step = next_step(
            quantity_short=quantity_short,
            is_line_open=item.is_open,
            open_shortage=(
                OpenShortage(
                    choice=shortage.choice or None,
                    is_notified=shortage.notified_at is not None,
                )
                if shortage is not None
                else None
            ),
        )
        steps.append((item, shortage, quantity_short, step))
    last_episodes = _last_episodes(
        [item.line.pk for item, _, _, step in steps if step == Step.OPEN]
    )
    notice_ids = []
    shortage_ids = []
    for item, shortage, quantity_short, step in steps:
        settings = plugins[item.line.order.channel_id]
        if step == Step.OPEN:
            episode = last_episodes.get(item.line.pk, 0) + 1
            shortage_ids += _open_shortage(item, quantity_short, episode, settings, now)
        elif step == Step.KEEP:
            _keep_shortage(shortage, item, quantity_short)
        elif step in (Step.RESTORE, Step.RESTORE_QUIETLY, Step.CLOSE):
            notice_ids += _end_shortage(shortage, item, step, settings, now)
    return Review(notice_ids=notice_ids, shortage_ids=shortage_ids)


def _last_episodes(line_ids: list) -> dict:
    if not line_ids:
        return {}
    return dict(
        StockShortage.objects.filter(order_line_id__in=line_ids)
        .values("order_line_id")
        .annotate(last=Max("episode"))
        .values_list("order_line_id", "last")
    )


def _line_snapshots(lines: list[OrderLine]) -> list[_Line]:
    line_ids = [line.pk for line in lines]
    allocations = list(
        Allocation.objects.filter(
            order_line_id__in=line_ids, quantity_allocated__gt=0
        ).values(
            "order_line_id",
            "stock_id",
            "stock__warehouse_id",
            "stock__quantity",
            "stock__quantity_allocated",
        )
    )
    allocated: dict = {}
    for allocation in (
        Allocation.objects.filter(order_line_id__in=line_ids)
        .values("order_line_id")
        .annotate(total=Sum("quantity_allocated"))
    ):
        allocated[allocation["order_line_id"]] = allocation["total"]
    overallocated = {
        a["stock_id"]: a["stock__warehouse_id"]
        for a in allocations
        if a["stock__quantity"] < a["stock__quantity_allocated"]
    }
    short_by_line = _short_by_line(overallocated)
    free = _free_quantities(lines, allocated)
    reviewed = []
    for line in lines:
        order = line.order
        variant = line.variant
        unfulfilled = line.quantity - line.quantity_fulfilled
        snapshot = LineSnapshot(
            line_id=line.pk,
            order_status=order.status,
            is_inventory_tracked=bool(variant and variant.track_inventory),
            quantity_unfulfilled=unfulfilled,
            quantity_allocated=allocated.get(line.pk, 0),
            free_quantity_in_channel=free.get((line.variant_id, order.channel_id), 0),
            short_by_warehouse=tuple(sorted(short_by_line.get(line.pk, {}).items())),
        )
        reviewed.append(
            _Line(
                line=line,
                snapshot=snapshot,
                is_open=order.status in OPEN_ORDER_STATUSES
                and unfulfilled > 0
                and variant is not None,
            )
        )
    return reviewed


def _short_by_line(overallocated: dict) -> dict:
    """{line id: {warehouse id: units short}} for over-allocated stocks."""
    if not overallocated:
        return {}
    by_stock: dict = {}
    for row in Allocation.objects.filter(
        stock_id__in=list(overallocated), quantity_allocated__gt=0
    ).values(
        "stock_id",
        "stock__quantity",
        "order_line_id",
        "order_line__order__created_at",
        "quantity_allocated",
    ):
        quantity, allocations = by_stock.setdefault(
            row["stock_id"], (row["stock__quantity"], [])
        )
        allocations.append(
            AllocationSnapshot(
                line_id=row["order_line_id"],
                order_created_at=row["order_line__order__created_at"],
                quantity=row["quantity_allocated"],
            )
        )
    result: dict = {}
    for stock_id, (quantity, allocations) in by_stock.items():
        warehouse_id = str(overallocated[stock_id])
        for line_id, short in short_allocations(quantity, allocations).items():
            per_warehouse = result.setdefault(line_id, {})
            per_warehouse[warehouse_id] = per_warehouse.get(warehouse_id, 0) + short
    return result


def _free_quantities(lines: list[OrderLine], allocated: dict) -> dict:
    """Unallocated units per (variant, channel), only where a line needs them."""
    wanted = {
        (line.variant_id, line.order.channel_id)
        for line in lines
        if line.variant is not None
        and line.variant.track_inventory
        and line.quantity - line.quantity_fulfilled > allocated.get(line.pk, 0)
    }
    free: dict = {}
    for variant_id, channel_id in wanted:
        free[(variant_id, channel_id)] = _free_quantity(variant_id, channel_id)
    return free


def _free_quantity(variant_id, channel_id) -> int:
    return Stock.objects.filter(
        product_variant_id=variant_id, warehouse__channels__id=channel_id
    ).aggregate(
        free=Coalesce(
            Sum(Greatest(F("quantity") - F("quantity_allocated"), Value(0))),
            Value(0),
        )
    )["free"]


def _line_name(line: OrderLine) -> str:
    """The line as customers and staff read it: a variant Saleor knows only by a
    stand-in name is named by its SKU (the line's, else the variant's), or not."""
    sku = line.product_sku or (line.variant.sku if line.variant is not None else "")
    return items.item_name(line.product_name, line.variant_name or "", sku or "")


def _alternatives(
    line: OrderLine, settings: ChannelSettings, now: datetime
) -> list[ItemSnapshot]:
    """Real alternatives for a short line, best first."""
    shortage_settings = settings.shortages
    if shortage_settings.max_alternatives == 0:
        return []
    variant = line.variant
    product = variant.product
    order = line.order
    # The catalogue price the customer ordered at, comparable with listing prices.
    price = line.undiscounted_base_unit_price_amount
    low, high = price_band(price, shortage_settings.price_band_percent)
    quantity_needed = line.quantity - line.quantity_fulfilled
    original = ItemSnapshot(
        variant_id=variant.pk,
        product_id=product.pk,
        category_id=product.category_id,
        product_type_id=product.product_type_id,
        price=price,
    )
    candidates: list[ItemSnapshot] = []
    ranked: list[ItemSnapshot] = []
    # The same product's variants rank first: related products are read only when
    # those are not enough.
    for scope in ("product", "related"):
        if scope == "product":
            product_ids = [product.pk]
        else:
            related = Q(product_type_id=product.product_type_id)
            if product.category_id is not None:
                related |= Q(category_id=product.category_id)
            # Through the indexes on type and category.
            product_ids = list(
                Product.objects.filter(related)
                .exclude(pk=product.pk)
                .values_list("pk", flat=True)
            )
        listings = (
            ProductVariantChannelListing.objects.filter(
                variant__product_id__in=product_ids,
                channel_id=order.channel_id,
                price_amount__gte=low,
                price_amount__lte=high,
                variant__product__channel_listings__channel_id=order.channel_id,
                variant__product__channel_listings__is_published=True,
                variant__product__channel_listings__available_for_purchase_at__lte=now,
            )
            .exclude(variant_id=variant.pk)
            .annotate(
                distance=Abs(F("price_amount") - Value(price)),
                free=Coalesce(_free_stock_subquery(order.channel_id), Value(0)),
            )
            .order_by("distance", "variant_id")
            .values(*CANDIDATE_COLUMNS, "free")
        )
        # Closest first, a page at a time (its stock read in one query), until
        # enough are in stock.
        for start in range(0, CANDIDATE_LIMIT * CANDIDATE_PAGES, CANDIDATE_LIMIT):
            page = list(listings[start : start + CANDIDATE_LIMIT])
            candidates += _candidate_snapshots(page)
            ranked = rank_alternatives(
                original,
                candidates,
                quantity_needed=quantity_needed,
                price_band_percent=shortage_settings.price_band_percent,
                limit=shortage_settings.max_alternatives,
            )
            if len(ranked) >= shortage_settings.max_alternatives:
                return ranked
            if len(page) < CANDIDATE_LIMIT:
                break
    return ranked


CANDIDATE_COLUMNS = (
    "variant_id",
    "price_amount",
    "variant__name",
    "variant__sku",
    "variant__track_inventory",
    "variant__product_id",
    "variant__product__name",
    "variant__product__category_id",
    "variant__product__product_type_id",
)


def _candidate_snapshots(listings: list[dict]) -> list[ItemSnapshot]:
    return [
        ItemSnapshot(
            variant_id=row["variant_id"],
            product_id=row["variant__product_id"],
            category_id=row["variant__product__category_id"],
            product_type_id=row["variant__product__product_type_id"],
            price=row["price_amount"],
            name=items.item_name(
                row["variant__product__name"],
                row["variant__name"] or "",
                row["variant__sku"] or "",
            ),
            available_quantity=(
                row["free"] if row["variant__track_inventory"] else UNLIMITED
            ),
        )
        for row in listings
    ]


def _free_stock_subquery(channel_id):
    """Units of the outer listing's variant in the channel's warehouses that no
    order has allocated."""
    return Subquery(
        Stock.objects.filter(
            product_variant_id=OuterRef("variant_id"),
            warehouse__channels__id=channel_id,
        )
        .values("product_variant_id")
        .annotate(free=Sum(Greatest(F("quantity") - F("quantity_allocated"), Value(0))))
        .values("free")[:1]
    )


def _restock_estimate(
    variant: ProductVariant, settings: ChannelSettings, now: datetime
):
    raw = (variant.private_metadata or {}).get(RESTOCK_METADATA_KEY) or (
        variant.metadata or {}
    ).get(RESTOCK_METADATA_KEY)
    today = now.astimezone(ZoneInfo(settings.time_zone)).date()
    return restock_estimate(raw, today)


# ---------------------------------------------------------------------------
# Applying decisions


def _recipient(order) -> str:
    if order.user_email:
        return order.user_email
    return order.user.email if order.user is not None else ""


def _language(order, settings: ChannelSettings) -> str:
    """The language of the customer's notices about ``order``."""
    return for_order(order, default=settings.language, also=settings.written_languages)


def _customer_name(order) -> str:
    if order.user is not None and order.user.first_name:
        return order.user.first_name
    address = order.billing_address
    return address.first_name if address is not None else ""


def _open_shortage(
    item: _Line,
    quantity_short: int,
    episode: int,
    settings: ChannelSettings,
    now: datetime,
) -> list:
    """Record a new shortage; its notice is composed by ``compose_notices``."""
    line = item.line
    short_by_warehouse = {str(k): v for k, v in item.snapshot.short_by_warehouse}
    unallocated = quantity_short - sum(short_by_warehouse.values())
    if unallocated > 0:
        short_by_warehouse[""] = unallocated
    shortage = StockShortage(
        order=line.order,
        order_line=line,
        episode=episode,
        variant=line.variant,
        quantity_short=quantity_short,
        short_by_warehouse=short_by_warehouse,
        link_nonce=secrets.token_urlsafe(16),
        link_expires_at=now + timedelta(days=settings.shortages.link_valid_days),
        created_at=now,
    )
    if not _insert_if_new(shortage):
        # Another detection recorded this shortage a moment ago.
        return []
    return [shortage.pk]


def _compose_notice(
    shortage: StockShortage, settings: ChannelSettings, now: datetime
) -> list:
    line = shortage.order_line
    order = shortage.order
    line.order = order
    quantity_short = shortage.quantity_short
    alternatives = _alternatives(line, settings, now)
    estimate = _restock_estimate(line.variant, settings, now)
    shortage.restock_estimate = estimate
    shortage.offered_alternatives = [
        {"id": str(a.variant_id), "name": a.name, "price": str(a.price)}
        for a in alternatives
    ]
    shortage.notified_at = now
    shortage.save(
        update_fields=[
            "restock_estimate",
            "offered_alternatives",
            "notified_at",
            "updated_at",
        ]
    )
    token = choice_token(shortage)
    link = page_link(
        "stock_shortage",
        channel_slug=order.channel.slug,
        token=token,
        settings=settings,
    )
    item_name = _line_name(line)
    language = _language(order, settings)
    subject, message = shortage_message(
        words=words_for(language),
        item_name=item_name,
        quantity_short=quantity_short,
        quantity_ordered=line.quantity - line.quantity_fulfilled,
        currency=order.currency,
        estimate=estimate,
        alternatives=[OfferedAlternative(a.name, a.price) for a in alternatives],
        link=link,
    )
    notice, created = outbox.enqueue_notice(
        notice_type=NoticeType.STOCK_SHORTAGE,
        idempotency_key=idempotency_key(
            NoticeType.STOCK_SHORTAGE, line.pk, shortage.episode, ShortageStage.SHORT
        ),
        notice_settings=settings.notices,
        recipient_email=_recipient(order),
        context={
            "subject": subject,
            "message": message,
            "language": language,
            "action_url": link,
            "customer_name": _customer_name(order),
            "order_number": str(order.number),
            "data": {
                "shortageId": str(shortage.pk),
                "orderLineId": str(line.pk),
                "item": item_name,
                "quantityShort": quantity_short,
                "restockEstimate": estimate.isoformat() if estimate else None,
                "alternatives": [
                    {
                        "variantId": graphene.Node.to_global_id(
                            "ProductVariant", a.variant_id
                        ),
                        "name": a.name,
                        "price": str(a.price),
                        "currency": order.currency,
                    }
                    for a in alternatives
                ],
                "choiceToken": token,
                "linkExpiresAt": shortage.link_expires_at.isoformat(),
            },
        },
        channel=order.channel,
        user=order.user,
        order=order,
    )
    return [notice.pk] if created else []


def _insert_if_new(shortage: StockShortage) -> bool:
    """Insert unless the line already has this episode or an open shortage (the
    unique constraints), in one statement and without a savepoint."""
    is_new = bool(
        db.insert_rows(StockShortage, [shortage], skip_conflicts=True, returning="id")
    )
    shortage._state.adding = not is_new
    return is_new


def _keep_shortage(shortage: StockShortage, item: _Line, quantity_short: int) -> None:
    if shortage.quantity_short != quantity_short:
        StockShortage.objects.filter(pk=shortage.pk).update(
            quantity_short=quantity_short
        )


def _end_shortage(
    shortage: StockShortage,
    item: _Line,
    step: Step,
    settings: ChannelSettings,
    now: datetime,
) -> list:
    status = ShortageStatus.CLOSED if step == Step.CLOSE else ShortageStatus.RESTORED
    ended = StockShortage.objects.filter(
        pk=shortage.pk, status=ShortageStatus.OPEN
    ).update(status=status, resolved_at=now, updated_at=now)
    if not ended or step != Step.RESTORE:
        return []
    line = item.line
    order = line.order
    _schedule_survey(shortage, order, now)
    language = _language(order, settings)
    subject, message = restored_message(
        words=words_for(language), item_name=_line_name(line)
    )
    notice, created = outbox.enqueue_notice(
        notice_type=NoticeType.STOCK_RESTORED,
        idempotency_key=idempotency_key(
            NoticeType.STOCK_RESTORED, line.pk, shortage.episode, ShortageStage.RESTORED
        ),
        notice_settings=settings.notices,
        recipient_email=_recipient(order),
        context={
            "subject": subject,
            "message": message,
            "language": language,
            "customer_name": _customer_name(order),
            "order_number": str(order.number),
            "data": {"shortageId": str(shortage.pk), "orderLineId": str(line.pk)},
        },
        channel=order.channel,
        user=order.user,
        order=order,
    )
    return [notice.pk] if created else []


def _schedule_survey(shortage: StockShortage, order, now: datetime) -> None:
    """The customer answered, or the stock came back: they are asked later whether
    the shortage was handled the way they wanted (once per shortage)."""
    schedule.schedule_after_problem(
        kind=ProblemKind.STOCK_SHORTAGE,
        ref=str(shortage.pk),
        order_id=order.pk,
        user_id=order.user_id,
        email=_recipient(order),
        channel_id=order.channel_id,
        handled_at=now,
    )


def _alert_staff(
    shortage: StockShortage, order, note: str, *, title: str, now: datetime
) -> list:
    """Put the customer's choice in the staff inbox, and e-mail it to the channel's
    staff address when one is set and the alert is new."""
    message = (
        f"Order #{order.number}: {note} Please act on it in the Dashboard; the "
        "order was not changed."
    )
    data = {
        "shortageId": str(shortage.pk),
        "orderLineId": str(shortage.order_line_id),
        "choice": shortage.choice,
        "alternativeVariantId": (
            graphene.Node.to_global_id("ProductVariant", shortage.chosen_variant_id)
            if shortage.chosen_variant_id
            else None
        ),
    }
    raised = staff_alerts.raise_alert(
        kind=AlertKind.SHORTAGE_CHOICE,
        cause_key=f"shortage_choice:{shortage.order_line_id}:{shortage.episode}",
        title=title,
        message=message,
        now=now,
        details=data,
        channel_id=order.channel_id,
        order_id=order.pk,
    )
    if not raised.is_new:
        return []
    try:
        settings = fetch.channel_settings(order.channel_id)
    except SettingsError as error:
        logger.warning("No staff e-mail for shortage %s: %s", shortage.pk, error)
        return []
    if not settings.shortages.staff_email:
        return []
    notice, created = outbox.enqueue_notice(
        notice_type=NoticeType.STAFF_ALERT,
        idempotency_key=idempotency_key(
            NoticeType.STAFF_ALERT,
            shortage.order_line_id,
            shortage.episode,
            ShortageStage.CHOICE,
        ),
        notice_settings=settings.notices,
        recipient_email=settings.shortages.staff_email,
        context={
            "subject": f"Order #{order.number}: the customer answered about a "
            "short item",
            "message": message,
            "customer_name": "team",
            "order_number": str(order.number),
            "data": data,
        },
        channel=order.channel,
        order=order,
    )
    return [notice.pk] if created else []
