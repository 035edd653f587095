"""The notice outbox: record a notice with its decision, claim it for delivery, mark
what came of it.

Every state change is one conditional statement, so two workers (or a worker and
the sweep) can never both hold a notice: the one whose UPDATE matched owns it until
its claim expires. An outcome that goes into the service history, or onto the
order's timeline (a notice whose context names its note, ``ORDER_NOTE_KEY``: one
note once it is sent, failed for good or skipped), is written by the same statement
as the notice's new state, so one never exists without the other.
"""

import uuid
from collections.abc import Collection, Iterable
from contextlib import nullcontext
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from . import db, events
from .config import NoticeSettings
from .domain.notices import (
    ORDER_NOTE_KEY,
    NoticeStatus,
    NoticeType,
    Transport,
    not_sent_note,
    sent_note,
)
from .models import Notice, ServiceHistoryEntry

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
    inserted = db.insert_rows(Notice, notices, skip_conflicts=True, returning="id")
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

# Rows are locked in primary-key order, and a row another transaction holds is
# skipped rather than waited for: a claim of several notices then never waits while
# holding locks, so it cannot deadlock with another claim or with a transaction that
# changes several notices (an anonymization). FOR UPDATE re-checks the condition on
# the row as last committed, so a notice another delivery claimed meanwhile is not
# taken.
_CLAIM_PENDING_SQL = f"""
    WITH claimable AS (
        SELECT id FROM {Notice._meta.db_table}
        WHERE id = ANY(%(ids)s)
          AND status = %(pending)s
          AND next_attempt_at <= %(now)s
        ORDER BY id
        FOR UPDATE SKIP LOCKED
    )
    UPDATE {Notice._meta.db_table} AS notice
    SET status = %(sending)s, claimed_until = %(claimed_until)s,
        attempts = notice.attempts + 1, updated_at = %(now)s
    FROM claimable
    WHERE notice.id = claimable.id
    RETURNING notice.*
"""


def _claim_params(now: datetime) -> dict:
    return {
        "now": now,
        "claimed_until": now + claim_duration(),
        "pending": NoticeStatus.PENDING.value,
        "sending": NoticeStatus.SENDING.value,
    }


def claim(notice_id, now: datetime) -> Notice | None:
    """Take a due notice for one delivery attempt, or None if it is not due or taken.

    One statement (the same condition as ``_due``) both claims and reads the notice.
    """
    claimed = list(
        Notice.objects.raw(_CLAIM_SQL, {"id": notice_id, **_claim_params(now)})
    )
    return claimed[0] if claimed else None


def claim_pending(notice_ids: Iterable, now: datetime) -> tuple[list[Notice], list]:
    """Take the due pending notices among ``notice_ids`` in one statement.

    Returns the claimed notices in the given order, each counting one attempt and
    held until its ``claimed_until`` as with ``claim``, and the other ids (each
    once): notices not due, held by another delivery, or left claimed by a worker
    that died. The caller takes the last back with ``claim``, one at a time, so that
    a notice that kills its worker charges an attempt to no other.
    """
    ids = list(dict.fromkeys(uuid.UUID(str(notice_id)) for notice_id in notice_ids))
    if not ids:
        return [], []
    claimed = {
        notice.pk: notice
        for notice in Notice.objects.raw(
            _CLAIM_PENDING_SQL, {"ids": ids, **_claim_params(now)}
        )
    }
    return (
        [claimed[pk] for pk in ids if pk in claimed],
        [pk for pk in ids if pk not in claimed],
    )


def renew_claim(notice: Notice, now: datetime) -> bool:
    """Hold a claimed notice for a full claim duration from ``now``; False if the
    claim was lost (it ran out and another delivery took the notice)."""
    claimed_until = now + claim_duration()
    renewed = Notice.objects.filter(
        pk=notice.pk,
        status=NoticeStatus.SENDING,
        claimed_until=notice.claimed_until,
    ).update(claimed_until=claimed_until, updated_at=now)
    if renewed:
        notice.claimed_until = claimed_until
    return bool(renewed)


def _finish(
    notice: Notice,
    entry: ServiceHistoryEntry | None = None,
    *,
    note: str = "",
    synchronous_commit: bool = True,
    **values,
) -> bool:
    """Apply the outcome of a claimed attempt; False if the claim was lost meanwhile.

    Each claim sets its own ``claimed_until``; a worker whose claim ran out and was
    taken over by another no longer matches it, so its late outcome changes nothing.
    ``entry``, a service-history entry, and ``note``, a note on the notice's order
    (none if the notice has no order), are added by the same statement if and only
    if the outcome was applied.
    """
    values = {
        "claimed_until": None,
        "transport": notice.transport,
        "updated_at": timezone.now(),
        **values,
    }
    if entry is None and not note:
        return bool(
            Notice.objects.filter(
                pk=notice.pk,
                status=NoticeStatus.SENDING,
                claimed_until=notice.claimed_until,
            ).update(**values)
        )
    # One statement instead of a transaction of several round trips (BEGIN, UPDATE,
    # INSERT, COMMIT): a single statement is atomic on its own.
    fields = [Notice._meta.get_field(name) for name in values]
    assignments = ", ".join(
        f"{connection.ops.quote_name(field.column)} = %s" for field in fields
    )
    inserts, insert_params = [], []
    if entry is not None:
        sql, params = events.insert_entry_sql(entry, source="finished")
        inserts.append(f"entry AS ({sql} RETURNING 1)")
        insert_params += params
    if note:
        sql, params = events.order_note_sql(
            note, date=values["updated_at"], source="finished"
        )
        inserts.append(f"note AS ({sql} RETURNING 1)")
        insert_params += params
    # Inside a caller's transaction, the commit is the caller's to make.
    is_commit_asynchronous = not synchronous_commit and not connection.in_atomic_block
    with (
        transaction.atomic() if is_commit_asynchronous else nullcontext(),
        connection.cursor() as cursor,
    ):
        if is_commit_asynchronous:
            # This transaction only: its commit returns before the disk has it.
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        # Every data-modifying part of a WITH runs to completion, read or not.
        cursor.execute(
            f"""
            WITH finished AS (
                UPDATE {Notice._meta.db_table} SET {assignments}
                WHERE id = %s AND status = %s AND claimed_until = %s
                RETURNING id, order_id
            ), {", ".join(inserts)}
            SELECT count(*) FROM finished
            """,
            [
                *(
                    field.get_db_prep_save(value, connection)
                    for field, value in zip(fields, values.values())
                ),
                notice.pk,
                NoticeStatus.SENDING.value,
                notice.claimed_until,
                *insert_params,
            ],
        )
        return cursor.fetchone()[0] == 1


def _note_topic(notice: Notice) -> str:
    """What the order note of the notice's outcome is about; "" for a notice that
    asks for none (see ``domain.notices.ORDER_NOTE_KEY``) or has no order."""
    if notice.order_id is None:
        return ""
    return str((notice.context or {}).get(ORDER_NOTE_KEY) or "")


def _not_sent_note(notice: Notice, reason: str) -> str:
    topic = _note_topic(notice)
    return not_sent_note(topic, reason) if topic else ""


def mark_sent(
    notice: Notice,
    now: datetime,
    entry: ServiceHistoryEntry,
    *,
    synchronous_commit: bool = True,
) -> bool:
    """Mark a claimed notice sent and add ``entry`` (``events.notice_entry``) to the
    service history, and the note saying so to its order, in one statement.

    With ``synchronous_commit=False`` the commit does not wait for PostgreSQL to
    flush it to disk (a few milliseconds a notice). If PostgreSQL itself then
    crashes within a fraction of a second, the mark and the entry are lost together,
    the notice is still claimed, and it is sent again once its claim runs out: only
    for a transport whose receiver keeps one of two messages with the same
    idempotency key.
    """
    topic = _note_topic(notice)
    return _finish(
        notice,
        entry,
        note=sent_note(topic, notice.transport) if topic else "",
        synchronous_commit=synchronous_commit,
        status=NoticeStatus.SENT,
        sent_at=now,
        last_error="",
    )


def mark_retry(notice: Notice, error: str, next_attempt_at: datetime) -> bool:
    return _finish(
        notice,
        status=NoticeStatus.PENDING,
        next_attempt_at=next_attempt_at,
        last_error=error,
    )


def mark_failed(notice: Notice, error: str, entry: ServiceHistoryEntry) -> bool:
    """Mark a claimed notice failed for good and add ``entry``
    (``events.notice_entry`` with the error) to the service history, and the note
    saying the customer was not told to its order, in one statement."""
    return _finish(
        notice,
        entry,
        note=_not_sent_note(notice, error),
        status=NoticeStatus.FAILED,
        last_error=error,
    )


def mark_skipped(notice: Notice, reason: str) -> bool:
    """Mark a claimed notice not to be sent."""
    return _finish(
        notice,
        note=_not_sent_note(notice, reason),
        status=NoticeStatus.SKIPPED,
        last_error=reason,
    )


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
    recipient_email: str, now: datetime, *, excluding: Collection = ()
) -> list[datetime]:
    """When notices reached this address in the last 24 hours; a notice another
    worker is sending right now counts as sent now.

    ``excluding``: the notices this delivery holds (the one being decided, and the
    rest of its batch, which it decides in turn and has not sent yet).
    """
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
        .exclude(pk__in=excluding)
        .count()
    )
    return sent + [now] * being_sent
