"""The notice outbox: record a notice with its decision, claim it for delivery, mark
what came of it.

Every state change is one conditional statement, so two workers (or a worker and
the sweep) can never both hold a notice: the one whose UPDATE matched owns it until
its claim expires. Claims, due times and their expiry are read and written by
PostgreSQL's clock (``statement_timestamp()``), never a worker's: a worker whose
clock is wrong can neither shorten nor lengthen a claim, take a notice before it is
due, nor take back a claim another worker still holds. An outcome that goes into the service history, or onto the
order's timeline (a notice whose context names its note, ``ORDER_NOTE_KEY``: one
note once it is sent, failed for good or skipped), is written by the same statement
as the notice's new state, so one never exists without the other.
"""

import time
import uuid
from collections.abc import Collection, Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from saleor.order import OrderEvents
from saleor.order.models import OrderEvent

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
        seconds=getattr(
            settings, "SALEOR_CS_NOTICE_CLAIM_SECONDS", DEFAULT_CLAIM_SECONDS
        )
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
    transport: Transport | None = None,
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
        transport=transport,
    )
    defaults = {
        field.attname: getattr(notice, field.attname)
        for field in Notice._meta.concrete_fields
        if field.attname not in {"id", "idempotency_key"}
    }
    # Due at once by the database's clock, not the deciding process's.
    defaults["next_attempt_at"] = Now()
    notice, created = Notice.objects.get_or_create(
        idempotency_key=idempotency_key, defaults=defaults
    )
    if created:
        notice.refresh_from_db(fields=["next_attempt_at"])
    return notice, created


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
    transport: Transport | None = None,
) -> Notice:
    """An unsaved notice of one decision; ``add_notices`` records many at once.

    ``transport``: the way it goes whatever the notice transports say (an answer in
    a conversation goes back on the conversation's own channel); such a notice is
    essential, as the customer is waiting for it.
    """
    is_essential = (
        transport is not None or notice_type in notice_settings.policy.essential_types
    )
    transport = transport or notice_settings.transports[notice_type]
    return Notice(
        idempotency_key=idempotency_key,
        notice_type=notice_type,
        channel_id=channel_id,
        user_id=user_id,
        recipient_email=recipient_email.strip().lower(),
        order_id=order_id,
        transport=transport,
        is_essential=is_essential,
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
    """Record notices in the caller's transaction in one statement, due at once by
    the database's clock; a notice whose key is already recorded is left out.
    Returns the ids of the new pending ones."""
    pending = {notice.pk for notice in notices if notice.status == NoticeStatus.PENDING}
    inserted = db.insert_rows(
        Notice,
        notices,
        skip_conflicts=True,
        returning="id",
        database_now=("next_attempt_at",),
    )
    return [notice_id for notice_id in inserted if notice_id in pending]


def _due() -> Q:
    # A sending notice whose claim expired belongs to a worker that died. Its
    # next_attempt_at is never later than its claim, so the partial index on
    # next_attempt_at finds both kinds. Now() is PostgreSQL's statement_timestamp().
    return Q(
        status__in=[NoticeStatus.PENDING, NoticeStatus.SENDING],
        next_attempt_at__lte=Now(),
    ) & (Q(status=NoticeStatus.PENDING) | Q(claimed_until__lt=Now()))


def due_notice_ids(limit: int) -> list:
    """The notices due by the database's clock, longest waiting first."""
    return list(
        Notice.objects.filter(_due())
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:limit]
    )


# statement_timestamp(): one time for every row of a statement, the statement's own
# even inside a longer transaction (now() would be the transaction's start).
_CLAIM_SQL = f"""
    UPDATE {Notice._meta.db_table}
    SET status = %(sending)s, claimed_until = statement_timestamp() + %(claim)s,
        attempts = attempts + 1, updated_at = statement_timestamp()
    WHERE id = %(id)s
      AND status IN (%(pending)s, %(sending)s)
      AND next_attempt_at <= statement_timestamp()
      AND (status = %(pending)s OR claimed_until < statement_timestamp())
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
          AND next_attempt_at <= statement_timestamp()
        ORDER BY id
        FOR UPDATE SKIP LOCKED
    )
    UPDATE {Notice._meta.db_table} AS notice
    SET status = %(sending)s, claimed_until = statement_timestamp() + %(claim)s,
        attempts = notice.attempts + 1, updated_at = statement_timestamp()
    FROM claimable
    WHERE notice.id = claimable.id
    RETURNING notice.*
"""


def _claim_params() -> dict:
    return {
        "claim": claim_duration(),
        "pending": NoticeStatus.PENDING.value,
        "sending": NoticeStatus.SENDING.value,
    }


@dataclass(frozen=True)
class DatabaseClock:
    """The database's time as a delivery knows it without asking: read from a claim
    (``claimed_until`` less the claim's duration is the claim statement's time) and
    advanced by the worker's monotonic clock, which a wrong wall clock does not move.

    A delivery decides by it what it compares with the times the database wrote: how
    much of its claim is left, quiet hours, a day's notices, when to try again.
    """

    database_time: datetime
    monotonic_time: float

    @classmethod
    def of_claim(cls, notice: Notice) -> "DatabaseClock":
        return cls(notice.claimed_until - claim_duration(), time.monotonic())

    def now(self) -> datetime:
        return self.database_time + timedelta(
            seconds=time.monotonic() - self.monotonic_time
        )


def claim(notice_id) -> Notice | None:
    """Take a due notice for one delivery attempt, or None if it is not due or taken.

    One statement (the same condition as ``_due``) both claims and reads the notice;
    it is held until the database's time plus ``claim_duration()``.
    """
    claimed = list(Notice.objects.raw(_CLAIM_SQL, {"id": notice_id, **_claim_params()}))
    return claimed[0] if claimed else None


def claim_pending(notice_ids: Iterable) -> tuple[list[Notice], list]:
    """Take the due pending notices among ``notice_ids`` in one statement.

    Returns the claimed notices in the given order, each counting one attempt and
    held until its ``claimed_until`` as with ``claim`` (the same for all), and the
    other ids (each once): notices not due, held by another delivery, or left
    claimed by a worker that died. The caller takes the last back with ``claim``,
    one at a time, so that a notice that kills its worker charges an attempt to no
    other.
    """
    ids = list(dict.fromkeys(uuid.UUID(str(notice_id)) for notice_id in notice_ids))
    if not ids:
        return [], []
    claimed = {
        notice.pk: notice
        for notice in Notice.objects.raw(
            _CLAIM_PENDING_SQL, {"ids": ids, **_claim_params()}
        )
    }
    return (
        [claimed[pk] for pk in ids if pk in claimed],
        [pk for pk in ids if pk not in claimed],
    )


_RENEW_SQL = f"""
    UPDATE {Notice._meta.db_table}
    SET claimed_until = statement_timestamp() + %s, updated_at = statement_timestamp()
    WHERE id = %s AND status = %s AND claimed_until = %s
    RETURNING claimed_until
"""


def renew_claim(notice: Notice) -> bool:
    """Hold a claimed notice for a full claim duration from the database's now;
    False if the claim was lost (it ran out and another delivery took the notice)."""
    with connection.cursor() as cursor:
        cursor.execute(
            _RENEW_SQL,
            [
                claim_duration(),
                notice.pk,
                NoticeStatus.SENDING.value,
                notice.claimed_until,
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return False
    notice.claimed_until = row[0]
    return True


@dataclass(frozen=True)
class _Sql:
    """A value ``_finish`` writes as SQL of the statement itself, e.g. the database's
    time: ``expression`` with ``%s`` for ``params``."""

    expression: str
    params: tuple = ()


_DATABASE_NOW = _Sql("statement_timestamp()")


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
    if the outcome was applied. A value may be ``_Sql`` (the database's time).
    """
    values = {
        "claimed_until": None,
        "transport": notice.transport,
        "updated_at": _DATABASE_NOW,
        **values,
    }
    assignments, params = [], []
    for name, value in values.items():
        field = Notice._meta.get_field(name)
        column = connection.ops.quote_name(field.column)
        if isinstance(value, _Sql):
            assignments.append(f"{column} = {value.expression}")
            params += value.params
        else:
            assignments.append(f"{column} = %s")
            params.append(field.get_db_prep_save(value, connection))
    # One statement instead of a transaction of several round trips (BEGIN, UPDATE,
    # INSERT, COMMIT): a single statement is atomic on its own.
    inserts, insert_params = [], []
    if entry is not None:
        sql, entry_params = events.insert_entry_sql(entry, source="finished")
        inserts.append(f"entry AS ({sql} RETURNING 1)")
        insert_params += entry_params
    if note:
        sql, note_params = events.order_note_sql(
            note, date=timezone.now(), source="finished"
        )
        inserts.append(f"note AS ({sql} RETURNING 1)")
        insert_params += note_params
    with_inserts = "".join(f", {insert}" for insert in inserts)
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
                UPDATE {Notice._meta.db_table} SET {", ".join(assignments)}
                WHERE id = %s AND status = %s AND claimed_until = %s
                RETURNING id, order_id
            ){with_inserts}
            SELECT count(*) FROM finished
            """,
            [
                *params,
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


def mark_sent_together(
    marks: list[tuple[Notice, datetime, ServiceHistoryEntry]],
    *,
    synchronous_commit: bool = True,
) -> set:
    """Mark several claimed notices sent, each with its history entry and its
    order's note, in one statement: what ``mark_sent`` does for one, for each
    ``(notice, sent_at, entry)``. Returns the ids of the notices marked; one whose
    claim was lost meanwhile is left as it is, with no entry and no note.
    """
    if not marks:
        return set()
    notices = [notice for notice, _, _ in marks]
    quote = connection.ops.quote_name
    entry_fields = ServiceHistoryEntry._meta.concrete_fields
    entry_values, entry_casts = db.column_arrays(
        [entry for _, _, entry in marks], entry_fields
    )
    entry_columns = ", ".join(quote(field.column) for field in entry_fields)
    notes = [
        (notice.pk, sent_note(topic, notice.transport))
        for notice in notices
        if (topic := _note_topic(notice))
    ]
    note_meta = OrderEvent._meta
    note_columns = ", ".join(
        quote(note_meta.get_field(name).column)
        for name in ("date", "type", "parameters", "order")
    )
    note_parameters = note_meta.get_field("parameters")
    sql = f"""
        WITH sent AS (
            SELECT * FROM unnest(
                %s::uuid[], %s::timestamptz[], %s::timestamptz[], %s::text[]
            ) AS sent(id, claimed_until, sent_at, transport)
        ), finished AS (
            UPDATE {Notice._meta.db_table} AS notice
            SET status = %s, sent_at = sent.sent_at, claimed_until = NULL,
                transport = sent.transport, last_error = '',
                updated_at = statement_timestamp()
            FROM sent
            WHERE notice.id = sent.id AND notice.status = %s
              AND notice.claimed_until = sent.claimed_until
            RETURNING notice.id, notice.order_id
        ), new_entry AS (
            SELECT * FROM unnest(%s::uuid[], {entry_casts})
                AS new_entry(notice_id, {entry_columns})
        ), entry AS (
            INSERT INTO {ServiceHistoryEntry._meta.db_table} ({entry_columns})
            SELECT {", ".join(f"new_entry.{quote(f.column)}" for f in entry_fields)}
            FROM new_entry JOIN finished ON finished.id = new_entry.notice_id
            RETURNING 1
        ), note_text AS (
            SELECT * FROM unnest(%s::uuid[], %s::jsonb[]) AS note_text(id, parameters)
        ), note AS (
            INSERT INTO {note_meta.db_table} ({note_columns})
            SELECT %s, %s, note_text.parameters, finished.order_id
            FROM finished JOIN note_text ON note_text.id = finished.id
            WHERE finished.order_id IS NOT NULL
            RETURNING 1
        )
        SELECT id FROM finished
    """
    params = [
        [notice.pk for notice in notices],
        [notice.claimed_until for notice in notices],
        [sent_at for _, sent_at, _ in marks],
        [notice.transport for notice in notices],
        NoticeStatus.SENT.value,
        NoticeStatus.SENDING.value,
        [notice.pk for notice in notices],
        *entry_values,
        [notice_id for notice_id, _ in notes],
        [
            note_parameters.get_db_prep_save({"message": message}, connection)
            for _, message in notes
        ],
        timezone.now(),
        OrderEvents.NOTE_ADDED,
    ]
    # Inside a caller's transaction, the commit is the caller's to make.
    is_commit_asynchronous = not synchronous_commit and not connection.in_atomic_block
    with (
        transaction.atomic() if is_commit_asynchronous else nullcontext(),
        connection.cursor() as cursor,
    ):
        if is_commit_asynchronous:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


def mark_retry(notice: Notice, error: str, delay: timedelta) -> bool:
    """Put a claimed notice back to be tried again ``delay`` after the database's
    now."""
    return _finish(
        notice,
        status=NoticeStatus.PENDING,
        next_attempt_at=_Sql("statement_timestamp() + %s", (delay,)),
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
    """Put a claimed notice back until ``until`` (worked out from a
    ``DatabaseClock``); waiting is not a failed attempt."""
    return _finish(
        notice,
        status=NoticeStatus.PENDING,
        next_attempt_at=until,
        attempts=_Sql("attempts - 1"),
        last_error=reason,
    )


def retry_failed(notice_id) -> bool:
    """Staff give a failed notice a fresh set of attempts, due by the database's now;
    not one whose content is gone (purged after the retention period, or its
    customer deleted). The row lock re-checks the condition, so a retry racing the
    purge cannot make an empty notice pending."""
    return bool(
        Notice.objects.filter(pk=notice_id, status=NoticeStatus.FAILED)
        .exclude(context={})
        .update(
            status=NoticeStatus.PENDING,
            attempts=0,
            next_attempt_at=Now(),
            claimed_until=None,
            updated_at=Now(),
        )
    )


def recent_sent_times(
    recipient_email: str, now: datetime, *, excluding: Collection = ()
) -> list[datetime]:
    """When notices reached this address in the last 24 hours; a notice another
    worker is sending right now counts as sent now. ``now``: a ``DatabaseClock``'s.

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
