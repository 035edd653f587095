"""The waiting sweep: one staff alert per wait, for each conversation whose customer
has waited past the answer target of its contact channel, counted in the store's
answering hours (``domain.conversations.AnswerHours``).

Per channel and contact channel, the waits not alerted yet are read oldest first
through the partial index ``cs_conversation_unalerted``, only those older than the
target in plain time (working time never runs faster), and only until the first
that is not due yet: a later wait is due no sooner. Each alerted wait is marked in
the statement that takes it, only if it is still the same wait, so two sweeps at
once alert it once; the alert itself is raised once per cause as well.
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from saleor.channel.models import Channel

from .. import fetch, staff_alerts
from ..config import SettingsError
from ..domain.alerts import AlertKind, conversation_waiting_alert
from ..domain.conversations import ConversationStatus
from ..models import Conversation

BATCH_SIZE = 1000

_MARK_SQL = f"""
    UPDATE {Conversation._meta.db_table} AS conversation
    SET waiting_alerted_at = %s
    FROM unnest(%s::uuid[], %s::timestamptz[]) AS wait(id, waiting_since)
    WHERE conversation.id = wait.id
      AND conversation.waiting_since = wait.waiting_since
      AND conversation.status = %s
      AND conversation.waiting_alerted_at IS NULL
    RETURNING conversation.id
"""


@dataclass(frozen=True)
class WaitingReport:
    alerted: int = 0
    looked_at: int = 0


def sweep_waiting(now: datetime, *, batch_size: int = BATCH_SIZE) -> WaitingReport:
    alerted = looked_at = 0
    channel_ids = list(Channel.objects.order_by("pk").values_list("pk", flat=True))
    for channel_id, plugin in fetch.channel_plugins(channel_ids).items():
        if isinstance(plugin, SettingsError) or not plugin.is_active:
            continue
        hours = plugin.settings.conversations.answer_hours
        for contact_channel, target in hours.targets.items():
            waits = list(
                Conversation.objects.filter(
                    channel_id=channel_id,
                    contact_channel=contact_channel,
                    status=ConversationStatus.WAITING_ON_STORE,
                    waiting_alerted_at__isnull=True,
                    waiting_since__lte=now - target,
                )
                .order_by("waiting_since")
                .values_list("pk", "waiting_since", "sender", "order__number")[
                    :batch_size
                ]
            )
            looked_at += len(waits)
            due = []
            for wait in waits:
                if hours.answer_due_at(contact_channel, wait[1]) > now:
                    break
                due.append(wait)
            alerted += _alert(channel_id, contact_channel, hours, target, due, now)
    return WaitingReport(alerted=alerted, looked_at=looked_at)


def _alert(channel_id, contact_channel, hours, target, waits, now) -> int:
    if not waits:
        return 0
    zone = ZoneInfo(hours.calendar.time_zone)
    with transaction.atomic(), connection.cursor() as cursor:
        # Only waits that are still the same and not alerted (another sweep, an
        # answer, a new message meanwhile), in one statement.
        cursor.execute(
            _MARK_SQL,
            [
                now,
                [pk for pk, *_ in waits],
                [waiting_since for _, waiting_since, *_ in waits],
                ConversationStatus.WAITING_ON_STORE.value,
            ],
        )
        taken = {row[0] for row in cursor.fetchall()}
        for pk, waiting_since, sender, order_number in waits:
            if pk not in taken:
                continue
            draft = conversation_waiting_alert(
                conversation_id=str(pk),
                contact_channel=contact_channel,
                sender=sender,
                waiting_since_text=_local_time(waiting_since.astimezone(zone)),
                target_text=_duration(target),
                order_number=str(order_number or ""),
                waiting_period=waiting_since.isoformat(),
            )
            staff_alerts.raise_alert(
                kind=AlertKind.CONVERSATION_WAITING,
                cause_key=draft.cause_key,
                title=draft.title,
                message=draft.message,
                details=draft.details,
                now=now,
                channel_id=channel_id,
            )
    return len(taken)


def _local_time(moment) -> str:
    """ "1 Dec 2026, 10:00 Europe/Warsaw"."""
    return f"{moment.day} {moment:%b %Y, %H:%M} {moment.tzinfo.key}"


def _duration(target) -> str:
    minutes = int(target.total_seconds() // 60)
    if minutes % 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = minutes // 60
    return f"{hours} hour{'s' if hours != 1 else ''}"
