"""The notice outbox: record a notice with its decision, claim it for delivery, mark
what came of it.

Every state change is one conditional UPDATE, so two workers (or a worker and the
sweep) can never both hold a notice: the one whose UPDATE matched owns it until its
claim expires.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from . import db
from .config import NoticeSettings
from .domain.notices import NoticeStatus, NoticeType, Transport
from .models import Notice

DEFAULT_CLAIM_SECONDS = 300


def claim_duration() -> timedelta:
    """How long a worker may hold a notice before the sweep takes it back."""
    return timedelta(
        seconds=getattr(settings, "SALEOR_CS_NOTICE_CLAIM_SECONDS", DEFAULT_CLAIM_SECONDS)
    )


def enqueue_notice(
    *,
    notice_type: NoticeType,
    idempotency_key: str,
    notice_settings: NoticeSettings,
    recipient_email: str,
    context: dict,
    channel=None,
    user=None,
    order=None,
) -> tuple[Notice, bool]:
    """Record a notice in the caller's transaction; the same key gives the same one.

    Returns the notice and whether it is new. The caller schedules delivery of new
    notices after commit.
    """
    notice = new_notice(
        notice_type=notice_type,
        idempotency_key=idempotency_key,
        notice_settings=notice_settings,
        recipient_email=recipient_email,
        context=context,
        channel_id=channel.pk if channel is not None else None,
        user_id=user.pk if user is not None else None,
        order_id=order.pk if order is not None else None,
    )
    defaults = {
        field.attname: getattr(notice, field.attname)
        for field in Notice._meta.concrete_fields
        if field.attname not in {"id", "idempotency_key"}
    }
    return Notice.objects.get_or_create(
        idempotency_key=idempotency_key, defaults=defaults
    )


def new_notice(
    *,
    notice_type: NoticeType,
    idempotency_key: str,
    notice_settings: NoticeSettings,
    recipient_email: str,
    context: dict,
    channel_id=None,
    user_id=None,
    order_id=None,
) -> Notice:
    """An unsaved notice of one decision; ``add_notices`` records many at once."""
    transport = notice_settings.transports[notice_type]
    return Notice(
        idempotency_key=idempotency_key,
        notice_type=notice_type,
        channel_id=channel_id,
        user_id=user_id,
        recipient_email=recipient_email.strip().lower(),
        order_id=order_id,
        transport=transport,
        is_essential=notice_type in notice_settings.policy.essential_types,
        context=context,
        status=(
            NoticeStatus.SKIPPED if transport == Transport.OFF else NoticeStatus.PENDING
        ),
        last_error=(
            "The transport of this notice type is 'off'."
            if transport == Transport.OFF
            else ""
        ),
    )


def add_notices(notices: list[Notice]) -> list:
    """Record notices in the caller's transaction in one statement; a notice whose
    key is already recorded is left out. Returns the ids of the new pending ones."""
    pending = {notice.pk for notice in notices if notice.status == NoticeStatus.PENDING}
    inserted = db.insert_rows(
        Notice, notices, conflict_column="idempotency_key", returning="id"
    )
    return [notice_id for notice_id in inserted if notice_id in pending]


def _due(now: datetime) -> Q:
    # A sending notice whose claim expired belongs to a worker that died. Its
    # next_attempt_at is never later than its claim, so the partial index on
    # next_attempt_at finds both kinds.
    return Q(
        status__in=[NoticeStatus.PENDING, NoticeStatus.SENDING],
        next_attempt_at__lte=now,
    ) & (Q(status=NoticeStatus.PENDING) | Q(claimed_until__lt=now))


def due_notice_ids(now: datetime, limit: int) -> list:
    return list(
        Notice.objects.filter(_due(now))
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:limit]
    )


_CLAIM_SQL = f"""
    UPDATE {Notice._meta.db_table}
    SET status = %(sending)s, claimed_until = %(claimed_until)s,
        attempts = attempts + 1, updated_at = %(now)s
    WHERE id = %(id)s
      AND status IN (%(pending)s, %(sending)s)
      AND next_attempt_at <= %(now)s
      AND (status = %(pending)s OR claimed_until < %(now)s)
    RETURNING *
"""


def claim(notice_id, now: datetime) -> Notice | None:
    """Take a due notice for one delivery attempt, or None if it is not due or taken.

    One statement (the same condition as ``_due``) both claims and reads the notice.
    """
    claimed = list(
        Notice.objects.raw(
            _CLAIM_SQL,
            {
                "id": notice_id,
                "now": now,
                "claimed_until": now + claim_duration(),
                "pending": NoticeStatus.PENDING.value,
                "sending": NoticeStatus.SENDING.value,
            },
        )
    )
    return claimed[0] if claimed else None


def _finish(notice: Notice, **values) -> bool:
    """Apply the outcome of a claimed attempt; False if the claim was lost meanwhile.

    Each claim sets its own ``claimed_until``; a worker whose claim ran out and was
    taken over by another no longer matches it, so its late outcome changes nothing.
    """
    return bool(
        Notice.objects.filter(
            pk=notice.pk,
            status=NoticeStatus.SENDING,
            claimed_until=notice.claimed_until,
        ).update(
            claimed_until=None,
            transport=notice.transport,
            updated_at=timezone.now(),
            **values,
        )
    )


def mark_sent(notice: Notice, now: datetime) -> bool:
    return _finish(notice, status=NoticeStatus.SENT, sent_at=now, last_error="")


def mark_retry(notice: Notice, error: str, next_attempt_at: datetime) -> bool:
    return _finish(
        notice,
        status=NoticeStatus.PENDING,
        next_attempt_at=next_attempt_at,
        last_error=error,
    )


def mark_failed(notice: Notice, error: str) -> bool:
    return _finish(notice, status=NoticeStatus.FAILED, last_error=error)


def mark_skipped(notice: Notice, reason: str) -> bool:
    return _finish(notice, status=NoticeStatus.SKIPPED, last_error=reason)


def defer(notice: Notice, until: datetime, reason: str) -> bool:
    """Put a claimed notice back until ``until``; waiting is not a failed attempt."""
    return _finish(
        notice,
        status=NoticeStatus.PENDING,
        next_attempt_at=until,
        attempts=F("attempts") - 1,
        last_error=reason,
    )


def retry_failed(notice_id, now: datetime) -> bool:
    """Staff give a failed notice a fresh set of attempts."""
    return bool(
        Notice.objects.filter(pk=notice_id, status=NoticeStatus.FAILED).update(
            status=NoticeStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            claimed_until=None,
            updated_at=now,
        )
    )


def recent_sent_times(
    recipient_email: str, now: datetime, *, excluding=None
) -> list[datetime]:
    """When notices reached this address in the last 24 hours; a notice another
    worker is sending right now counts as sent now."""
    sent = list(
        Notice.objects.filter(
            recipient_email=recipient_email,
            status=NoticeStatus.SENT,
            sent_at__gt=now - timedelta(hours=24),
        ).values_list("sent_at", flat=True)
    )
    being_sent = (
        Notice.objects.filter(
            recipient_email=recipient_email,
            status=NoticeStatus.SENDING,
            claimed_until__gt=now,
        )
        .exclude(pk=excluding)
        .count()
    )
    return sent + [now] * being_sent
