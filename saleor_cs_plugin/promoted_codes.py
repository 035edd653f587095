"""Promoted codes: staff register where a code is shown and until when; the health
check tells staff when such a code stops working, or is about to, while it is still
promoted.

Health is read for any number of codes in a fixed number of queries. The check runs
in one transaction that locks the rows it looks at (SKIP LOCKED), so two checks at
once alert about each change of health once. Alerts go to the staff inbox; a new one
is also e-mailed to the channel's promoted-code staff address when one is set. The
check returns the ids of the notices it recorded, and the caller schedules their
delivery after commit.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from saleor.channel.models import Channel
from saleor.discount.models import VoucherChannelListing, VoucherCode
from saleor.order import OrderStatus
from saleor.order.models import Order

from . import db, fetch, outbox, staff_alerts
from .config import ChannelSettings, CouponSettings
from .domain.alerts import AlertKind
from .domain.coupons import ChannelListing, HealthCheck, code_health
from .domain.history import Problem
from .domain.notices import NoticeType, idempotency_key
from .domain.promotion import (
    AlertText,
    alert_decision,
    alert_text,
    check_registration,
    is_promoted,
    missing_channels_problem,
)
from .models import PromotedCode

# The pace at which a code is running out: its voucher's uses in this window.
PACE_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class CodeStatus:
    """A promoted code in one channel and how it stands now."""

    promoted_code: PromotedCode
    check: HealthCheck
    is_promoted: bool


def promoted(now: datetime) -> Q:
    """Rows still promoted at ``now`` (a promotion ends at its ``promoted_until``)."""
    return Q(promoted_until__isnull=True) | Q(promoted_until__gt=now)


# ---------------------------------------------------------------------------
# Registering


class PromotionRejected(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))


def register(
    *,
    code: str,
    channel_slugs: list[str],
    placements: list[str],
    promoted_until: datetime | None,
    note: str,
    now: datetime,
) -> list[PromotedCode]:
    """Record that ``code`` is promoted in each channel (one row per channel; a code
    registered again is updated). Raises ``PromotionRejected`` with every problem."""
    code = code.strip()
    note = note.strip()
    slugs = list(dict.fromkeys(slug.strip() for slug in channel_slugs))
    placements = list(dict.fromkeys(str(placement) for placement in placements))
    channel_ids = dict(Channel.objects.filter(slug__in=slugs).values_list("slug", "pk"))
    problems = check_registration(
        code=code,
        code_exists=bool(code) and VoucherCode.objects.filter(code=code).exists(),
        channel_slugs=slugs,
        missing_channel_slugs=[slug for slug in slugs if slug not in channel_ids],
        placements=placements,
        note=note,
        promoted_until=promoted_until,
        now=now,
    )
    if problems:
        raise PromotionRejected(problems)
    rows = []
    with transaction.atomic():
        for slug in slugs:
            row, created = PromotedCode.objects.select_for_update().get_or_create(
                code=code,
                channel_id=channel_ids[slug],
                defaults={
                    "placements": placements,
                    "promoted_until": promoted_until,
                    "note": note,
                },
            )
            if not created:
                if not is_promoted(row.promoted_until, now):
                    # Promoted anew: its first problem is news again.
                    row.alerted_health = ""
                row.placements = placements
                row.promoted_until = promoted_until
                row.note = note
                row.save()
            rows.append(row)
    return rows


def stop_promoting(
    *, code: str, channel_slugs: list[str] | None, now: datetime
) -> list[PromotedCode]:
    """End the promotion of ``code`` now, in the given channels or in all.

    The rows stay (ended): codes honored after they stopped working keep counting
    once per shopper if the code is promoted again. Raises ``PromotionRejected``.
    """
    code = code.strip()
    rows = PromotedCode.objects.filter(promoted(now), code=code)
    where = "any channel"
    if channel_slugs is not None:
        slugs = list(dict.fromkeys(slug.strip() for slug in channel_slugs))
        known = set(
            Channel.objects.filter(slug__in=slugs).values_list("slug", flat=True)
        )
        missing = [slug for slug in slugs if slug not in known]
        if missing:
            raise PromotionRejected([missing_channels_problem(missing)])
        rows = rows.filter(channel__slug__in=slugs)
        where = "the given channels"
    with transaction.atomic():
        ended = list(rows.select_for_update().order_by("pk"))
        if not ended:
            raise PromotionRejected(
                [
                    Problem(
                        "code",
                        "NOT_FOUND",
                        f"The code '{code}' is not promoted in {where}.",
                    )
                ]
            )
        for row in ended:
            row.promoted_until = now
        db.update_rows(PromotedCode, ended, ["promoted_until", "updated_at"])
    return ended


# ---------------------------------------------------------------------------
# Health


def health_of(
    rows: list[PromotedCode],
    now: datetime,
    settings: dict[int, ChannelSettings] | None = None,
    *,
    using: str = "default",
) -> list[CodeStatus]:
    """How each promoted code stands in its channel now, in a fixed number of
    queries (on the ``using`` connection) whatever the number of codes and channels.

    ``settings``: {channel id: settings} of the rows' channels, if the caller has
    them (read otherwise); their warning hours decide when a code expires or runs out
    "soon". A channel without valid settings uses the defaults.
    """
    if not rows:
        return []
    channel_ids = {row.channel_id for row in rows}
    if settings is None:
        settings = {
            channel_id: plugin.settings
            for channel_id, plugin in fetch.channel_plugins(
                channel_ids, using=using
            ).items()
            if isinstance(plugin, fetch.ChannelPlugin)
        }
    codes = {row.code for row in rows}
    # Any one channel: the listings of every channel are read below.
    facts = fetch.voucher_facts(codes, Channel(pk=next(iter(channel_ids))), using=using)
    pace = _uses_since(codes, now - PACE_WINDOW, using)
    voucher_ids = {voucher_id for voucher_id, _ in pace.values()}
    listings = {
        (voucher_id, channel_id): ChannelListing(
            discount_value=discount_value, currency=currency, min_spent=min_spent
        )
        for voucher_id, channel_id, discount_value, currency, min_spent in (
            VoucherChannelListing.objects.using(using)
            .filter(voucher_id__in=voucher_ids, channel_id__in=channel_ids)
            .values_list(
                "voucher_id",
                "channel_id",
                "discount_value",
                "currency",
                "min_spent_amount",
            )
        )
    }
    statuses = []
    for row in rows:
        voucher = facts.get(row.code)
        voucher_id, uses_last_day = pace.get(row.code, (None, 0))
        listing = listings.get((voucher_id, row.channel_id))
        if voucher is not None:
            voucher = replace(voucher, listing=listing)
        channel_settings = settings.get(row.channel_id)
        coupon_settings = (
            channel_settings.coupons if channel_settings else CouponSettings()
        )
        check = code_health(
            voucher,
            channel_is_listed=listing is not None,
            uses_last_day=uses_last_day,
            now=now,
            warn=timedelta(hours=coupon_settings.warning_hours),
        )
        statuses.append(
            CodeStatus(row, check, is_promoted=is_promoted(row.promoted_until, now))
        )
    return statuses


def health_by_channel(rows: list[PromotedCode], now: datetime) -> list[CodeStatus]:
    """How codes just registered or ended stand now, by channel slug (what the
    mutations answer)."""
    rows = (
        PromotedCode.objects.filter(pk__in=[row.pk for row in rows])
        .select_related("channel")
        .order_by("channel__slug")
    )
    return health_of(list(rows), now)


def _uses_since(codes, since: datetime, using: str) -> dict:
    """{code: (voucher id, orders that used any code of its voucher since ``since``)},
    in one query. Saleor's usage limit counts the voucher's codes together."""
    recent = (
        Order.objects.filter(voucher_id=OuterRef("voucher_id"), created_at__gte=since)
        .exclude(status=OrderStatus.DRAFT)
        .order_by()
        .values("voucher_id")
        .annotate(total=Count("pk"))
        .values("total")
    )
    rows = (
        VoucherCode.objects.using(using)
        .filter(code__in=codes)
        .annotate(uses=Coalesce(Subquery(recent, output_field=IntegerField()), 0))
        .values_list("code", "voucher_id", "uses")
    )
    return {code: (voucher_id, uses) for code, voucher_id, uses in rows}


# ---------------------------------------------------------------------------
# The periodic check


@dataclass(frozen=True)
class Alert:
    promoted_code: PromotedCode
    channel_slug: str
    check: HealthCheck
    text: AlertText
    recipient_email: str
    # The episode: the code's row, its health and the previous check's time, the same
    # for two checks reading one row, new once the code recovered and broke again.
    cause_key: str


@dataclass(frozen=True)
class HealthSweep:
    notice_ids: list
    alerts: list[Alert]
    # The inbox alerts raised or seen again, in the order of ``alerts``.
    alert_ids: list = field(default_factory=list)


def check_promoted_codes(now: datetime, *, dry_run: bool = False) -> HealthSweep:
    """Check every code still promoted where the plugin is active; alert staff once
    per change of a code's health to a problem, or to a warning ahead of its end.

    Each alert goes to the staff inbox, and a new one is also a notice to the
    channel's promoted-code staff address when one is set. With ``dry_run`` nothing
    is written and the alerts are only returned.
    """
    with transaction.atomic():
        rows = PromotedCode.objects.filter(promoted(now))
        if not dry_run:
            # A row another check holds is skipped: that check alerts about it.
            rows = rows.select_for_update(skip_locked=True)
        rows = list(rows.order_by("pk"))
        active = fetch.active_channel_settings(
            {row.channel_id for row in rows}, unchecked="Promoted codes"
        )
        slugs = dict(Channel.objects.filter(pk__in=active).values_list("pk", "slug"))
        rows = [row for row in rows if row.channel_id in active]
        alerts, notices = [], {}
        for status in health_of(rows, now, active):
            row, check = status.promoted_code, status.check
            settings = active[row.channel_id]
            decision = alert_decision(
                check.health,
                alerted_health=row.alerted_health,
                warning_hours=settings.coupons.warning_hours,
            )
            if decision.should_alert:
                alert = Alert(
                    promoted_code=row,
                    channel_slug=slugs[row.channel_id],
                    check=check,
                    text=alert_text(
                        row.code,
                        slugs[row.channel_id],
                        check,
                        time_zone=settings.time_zone,
                    ),
                    recipient_email=settings.coupons.staff_email,
                    cause_key=_cause_key(row, check),
                )
                alerts.append(alert)
                if alert.recipient_email:
                    notices[alert.cause_key] = _alert_notice(alert, settings)
            row.health = check.health.value
            row.health_checked_at = now
            row.alerted_health = decision.alerted_health
        if dry_run:
            return HealthSweep(notice_ids=[], alerts=alerts)
        alert_ids = []
        new_notices = []
        for alert in alerts:
            raised = _raise(alert, now)
            alert_ids.append(raised.alert_id)
            # E-mail tells staff of a new alert, not of one they already have.
            if raised.is_new and alert.cause_key in notices:
                new_notices.append(notices[alert.cause_key])
        notice_ids = outbox.add_notices(new_notices)
        db.update_rows(
            PromotedCode,
            rows,
            ["health", "health_checked_at", "alerted_health", "updated_at"],
        )
    return HealthSweep(notice_ids=notice_ids, alerts=alerts, alert_ids=alert_ids)


def _cause_key(row: PromotedCode, check: HealthCheck) -> str:
    # Read before the check records its own time on the row.
    previous = row.health_checked_at.isoformat() if row.health_checked_at else "never"
    return f"{AlertKind.PROMOTED_CODE}:{row.pk}:{check.health.value}:{previous}"


def _raise(alert: Alert, now: datetime) -> staff_alerts.Raised:
    return staff_alerts.raise_alert(
        kind=AlertKind.PROMOTED_CODE,
        cause_key=alert.cause_key,
        title=alert.text.subject,
        message=alert.text.message,
        details=_alert_details(alert),
        channel_id=alert.promoted_code.channel_id,
        now=now,
    )


def _alert_details(alert: Alert) -> dict:
    return {
        "promotedCodeId": str(alert.promoted_code.pk),
        "code": alert.promoted_code.code,
        "channel": alert.channel_slug,
        "health": alert.check.health.value,
        "endsAt": alert.check.ends_at.isoformat() if alert.check.ends_at else None,
        "remainingUses": alert.check.remaining_uses,
    }


def _alert_notice(alert: Alert, settings: ChannelSettings):
    row = alert.promoted_code
    return outbox.new_notice(
        notice_type=NoticeType.STAFF_ALERT,
        # One alert per episode: the previous check's time tells a new problem from
        # the same one seen again, and is the same for two checks reading one row.
        idempotency_key=idempotency_key(
            NoticeType.STAFF_ALERT,
            "promoted_code",
            row.pk,
            alert.check.health,
            row.health_checked_at,
        ),
        notice_settings=settings.notices,
        recipient_email=alert.recipient_email,
        context={
            "subject": alert.text.subject,
            "message": alert.text.message,
            "customer_name": "team",
            "data": _alert_details(alert),
        },
        channel_id=row.channel_id,
    )
