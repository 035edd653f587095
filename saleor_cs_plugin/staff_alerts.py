"""The staff inbox: raise an alert once per cause, mark one done, and the alerts a
requestor may reach.

Raising is one statement (an insert that, while an alert of the same cause is open,
counts another occurrence instead), so two workers seeing the same cause at once
make one alert. Callers that also e-mail staff do so only for a new alert.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Q, QuerySet

from .domain.alerts import TITLE_MAX_LENGTH, AlertKind
from .models import StaffAlert


@dataclass(frozen=True)
class Raised:
    alert_id: uuid.UUID
    is_new: bool


_RAISE_SQL = f"""
    INSERT INTO {StaffAlert._meta.db_table} AS alert
        (id, created_at, updated_at, kind, cause_key, channel_id, order_id, title,
         message, details, occurrences, last_seen_at, resolved_at,
         resolved_by_user_id, resolved_by_app_id)
    VALUES (%(id)s, %(now)s, %(now)s, %(kind)s, %(cause_key)s, %(channel_id)s,
            %(order_id)s, %(title)s, %(message)s, %(details)s, 1, %(now)s, NULL,
            NULL, NULL)
    ON CONFLICT (cause_key) WHERE resolved_at IS NULL DO UPDATE
    SET occurrences = alert.occurrences + 1,
        last_seen_at = GREATEST(alert.last_seen_at, EXCLUDED.last_seen_at),
        updated_at = EXCLUDED.updated_at,
        message = EXCLUDED.message,
        details = EXCLUDED.details
    RETURNING id, (xmax = 0) AS is_new
"""


def raise_alert(
    *,
    kind: AlertKind,
    cause_key: str,
    title: str,
    message: str,
    now: datetime,
    details: dict | None = None,
    channel_id=None,
    order_id=None,
) -> Raised:
    """Open an alert for ``cause_key``, or count one more occurrence of the open one
    (whose message and details become the latest). In the caller's transaction."""
    details_field = StaffAlert._meta.get_field("details")
    with connection.cursor() as cursor:
        cursor.execute(
            _RAISE_SQL,
            {
                "id": uuid.uuid4(),
                "now": now,
                "kind": AlertKind(kind).value,
                "cause_key": cause_key[:255],
                "channel_id": channel_id,
                "order_id": order_id,
                "title": " ".join(title.split())[:TITLE_MAX_LENGTH],
                "message": message,
                "details": details_field.get_db_prep_save(details or {}, connection),
            },
        )
        alert_id, is_new = cursor.fetchone()
    return Raised(alert_id=alert_id, is_new=is_new)


def resolve(alert_id, *, now: datetime, user=None, app=None) -> bool:
    """Mark an open alert done, recording who and when; False if it was done already
    (or does not exist)."""
    return bool(
        StaffAlert.objects.filter(pk=alert_id, resolved_at__isnull=True).update(
            resolved_at=now,
            resolved_by_user=user,
            resolved_by_app=app,
            updated_at=now,
        )
    )


def resolve_cause(cause_key: str, *, now: datetime, user=None, app=None) -> bool:
    """Mark the open alert of ``cause_key`` done (as ``resolve``); False if none is
    open."""
    return bool(
        StaffAlert.objects.filter(cause_key=cause_key, resolved_at__isnull=True).update(
            resolved_at=now,
            resolved_by_user=user,
            resolved_by_app=app,
            updated_at=now,
        )
    )


@dataclass(frozen=True)
class Reach:
    """The alerts a requestor may read and close: of these kinds, in these channels
    (``channel_ids`` None: every channel), and those of no channel only when
    ``includes_no_channel``."""

    kinds: frozenset[AlertKind]
    channel_ids: frozenset | None
    includes_no_channel: bool


def within(reach: Reach, *, using: str = "default") -> QuerySet:
    """The alerts within ``reach``, newest first, on the ``using`` connection."""
    alerts = StaffAlert.objects.using(using).filter(
        kind__in=sorted(kind.value for kind in reach.kinds)
    )
    if reach.channel_ids is not None:
        where = Q(channel_id__in=sorted(reach.channel_ids))
        if reach.includes_no_channel:
            where |= Q(channel_id__isnull=True)
        alerts = alerts.filter(where)
    return alerts
