"""A channel's state now, as the status lines at the top of the plugin's page in the
Dashboard show it: open staff alerts, notices failed in the last 7 days and why,
orders late or at risk, promoted codes needing attention, on-time shipping, the
surveys' satisfied customers and response rate in the last 30 days, the
conversations waiting past their answer target, and the first answers within
target in the last 30 days.

The page must never wait on these lines or fail because of them: the counts are one
statement on the replica connection (when Saleor has one) under a short statement
timeout, whatever the number of rows, after the statement that sets the timeout and
reads the channel's answering hours; the lines are cached briefly per channel; and
any database error gives every line "unavailable right now" instead of an error.
"""

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg
from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, Error, connections
from django.utils import timezone
from saleor.plugins.models import PluginConfiguration

from . import fetch
from .config import PLUGIN_ID, ChannelSettings, SettingsError
from .domain.conversations import (
    AnswerHours,
    ConversationStatus,
    ConversationTimes,
    answer_speed,
    percentile,
)
from .domain.coupons import CodeHealth
from .domain.history import ContactChannel
from .domain.notices import NoticeStatus
from .domain.promises import OPEN_STATUSES, PromiseStatus
from .domain.status import UNAVAILABLE, ChannelCounts, status_lines, unavailable_lines
from .metrics.speed import (
    first_answer_line,
    latest_start_past_target,
    waiting_past_target_line,
)
from .models import (
    Conversation,
    DeliveryPromise,
    Notice,
    PromotedCode,
    StaffAlert,
    Survey,
)

logger = logging.getLogger(__name__)

CACHE_SECONDS = 60
# Lines that could not be read are kept for less time, but kept: a database too busy
# to answer is not asked again on every page load.
UNAVAILABLE_CACHE_SECONDS = 10
STATEMENT_TIMEOUT_MS = 500
FAILED_NOTICES_WINDOW = timedelta(days=7)
ON_TIME_WINDOW = timedelta(days=30)
SURVEY_WINDOW = timedelta(days=30)
ANSWER_WINDOW = timedelta(days=30)
# The lines of the conversations (config.STATUS_FIELDS), after domain.status's.
CONVERSATIONS_WAITING = "status_conversations_waiting"
FIRST_ANSWER_WITHIN_TARGET = "status_first_answer_within_target"
CONVERSATION_FIELD_NAMES = (CONVERSATIONS_WAITING, FIRST_ANSWER_WITHIN_TARGET)
# Distinct errors read per channel; the lines name the most frequent of them.
REASON_GROUPS = 10
# Errors are grouped by their beginning: the lines show only their gist.
REASON_PREFIX_LENGTH = 200

SHIPPED_STATUSES = (
    PromiseStatus.SHIPPED_ON_TIME,
    PromiseStatus.SHIPPED_LATE,
    PromiseStatus.DELIVERED,
)

# Every count in one statement. A promise is late once its ship-by deadline has
# passed (even before the sweep has looked at it again); at risk when the sweep last
# found it so and the deadline is still ahead. An order shipped on time if its last
# promised line left before the deadline, as the promise's closing status says;
# delivered orders keep that time, so they count too. Surveys count by when they
# were sent (the index on channel and sent_at), answered or not yet.
_COUNTS_SQL = f"""
WITH failed AS (
    SELECT left(last_error, {REASON_PREFIX_LENGTH}) AS reason, count(*) AS total
    FROM {Notice._meta.db_table}
    WHERE channel_id = %(channel_id)s AND status = %(failed)s
        AND updated_at >= %(failed_since)s
    GROUP BY 1
)
SELECT
    (
        SELECT coalesce(json_object_agg(kind, total), '{{}}'::json)
        FROM (
            SELECT kind, count(*) AS total
            FROM {StaffAlert._meta.db_table}
            WHERE channel_id = %(channel_id)s AND resolved_at IS NULL
            GROUP BY kind
        ) AS alerts
    ),
    (SELECT coalesce(sum(total), 0) FROM failed),
    (
        SELECT coalesce(json_agg(json_build_array(reason, total)), '[]'::json)
        FROM (
            SELECT reason, total FROM failed
            ORDER BY total DESC, reason LIMIT {REASON_GROUPS}
        ) AS reasons
    ),
    promises.late,
    promises.at_risk,
    (
        SELECT coalesce(json_object_agg(health, total), '{{}}'::json)
        FROM (
            SELECT health, count(*) AS total
            FROM {PromotedCode._meta.db_table}
            WHERE channel_id = %(channel_id)s
                AND health NOT IN ('', %(healthy)s)
                AND (promoted_until IS NULL OR promoted_until > %(now)s)
            GROUP BY health
        ) AS codes
    ),
    shipped.total,
    shipped.on_time,
    surveys.sent,
    surveys.answered,
    surveys.satisfied_answers,
    surveys.satisfied_yes,
    (
        SELECT coalesce(json_object_agg(contact_channel, total), '{{}}'::json)
        FROM (
            SELECT conversation.contact_channel, count(*) AS total
            FROM {Conversation._meta.db_table} AS conversation
            JOIN unnest(
                %(past_target_channels)s::text[], %(past_target_since)s::timestamptz[]
            ) AS due(contact_channel, latest_start)
                ON due.contact_channel = conversation.contact_channel
            WHERE conversation.channel_id = %(channel_id)s
                AND conversation.status = %(waiting_on_store)s
                AND conversation.waiting_since <= %(latest_past_target)s
                AND conversation.waiting_since <= due.latest_start
            GROUP BY conversation.contact_channel
        ) AS waiting
    ),
    (
        SELECT coalesce(json_agg(json_build_array(
            contact_channel, opened, first_answered_at, resolved_at, store_replies,
            reopened, status
        )), '[]'::json)
        FROM (
            SELECT contact_channel, coalesce(opened_at, created_at) AS opened,
                first_answered_at, resolved_at, store_replies, reopened, status
            FROM {Conversation._meta.db_table}
            WHERE channel_id = %(channel_id)s
                AND coalesce(opened_at, created_at) >= %(answers_since)s
                AND coalesce(opened_at, created_at) <= %(now)s
        ) AS recent
    )
FROM
    (
        SELECT
            count(*) FILTER (WHERE ship_by_deadline <= %(now)s) AS late,
            count(*) FILTER (
                WHERE status = %(at_risk)s AND ship_by_deadline > %(now)s
            ) AS at_risk
        FROM {DeliveryPromise._meta.db_table}
        WHERE channel_id = %(channel_id)s AND status = ANY(%(open)s)
    ) AS promises,
    (
        SELECT
            count(*) AS total,
            count(*) FILTER (WHERE shipped_at < ship_by_deadline) AS on_time
        FROM {DeliveryPromise._meta.db_table}
        WHERE channel_id = %(channel_id)s AND status = ANY(%(shipped)s)
            AND shipped_at >= %(shipped_since)s
    ) AS shipped,
    (
        SELECT
            count(*) AS sent,
            count(first_answered_at) AS answered,
            count(satisfied) AS satisfied_answers,
            count(*) FILTER (WHERE satisfied) AS satisfied_yes
        FROM {Survey._meta.db_table}
        WHERE channel_id = %(channel_id)s AND sent_at >= %(surveys_since)s
            AND sent_at <= %(now)s
    ) AS surveys
"""


@dataclass(frozen=True)
class ConversationCounts:
    """What the conversation lines are worded from, for one channel."""

    # {contact channel: conversations waiting for the store past their target}
    waiting_past_target: dict[str, int]
    # The conversations opened in the answer window, and the answering hours
    # their targets count in.
    recent: tuple[ConversationTimes, ...]
    hours: AnswerHours


@dataclass(frozen=True)
class StatusCounts:
    channel: ChannelCounts
    conversations: ConversationCounts


def status_values(channel_id, *, now: datetime | None = None) -> dict[str, str]:
    """{status field name: line} of a channel; never raises for a database error.

    Served from the cache while it has the channel's lines (``CACHE_SECONDS``),
    whatever ``now`` is; ``now`` (default: the clock) is the moment counted at.
    """
    key = cache_key(channel_id)
    values = cache.get(key)
    if values is not None:
        return values
    now = now or timezone.now()
    try:
        counts = read_status(channel_id, now)
        values = {
            **status_lines(counts.channel),
            **conversation_lines(counts.conversations, now),
        }
        timeout = CACHE_SECONDS
    except (Error, psycopg.Error):
        logger.warning(
            "Status lines of channel %s unavailable: reading the counts failed.",
            channel_id,
            exc_info=True,
        )
        values = {
            **unavailable_lines(),
            **dict.fromkeys(CONVERSATION_FIELD_NAMES, UNAVAILABLE),
        }
        timeout = UNAVAILABLE_CACHE_SECONDS
    cache.set(key, values, timeout)
    return values


def conversation_lines(counts: ConversationCounts, now: datetime) -> dict[str, str]:
    """The lines of the conversations: those waiting past target now, and the
    first answers within target of those opened in the answer window."""
    speeds = answer_speed(list(counts.recent), hours=counts.hours, now=now)
    first_answers = [
        (conversation.first_answered_at - conversation.opened_at).total_seconds()
        for conversation in counts.recent
        if conversation.first_answered_at is not None
    ]
    return {
        CONVERSATIONS_WAITING: waiting_past_target_line(counts.waiting_past_target),
        FIRST_ANSWER_WITHIN_TARGET: first_answer_line(
            speeds, percentile(first_answers, 0.5)
        ),
    }


def cache_key(channel_id) -> str:
    return f"saleor_cs_plugin:channel_status:{channel_id}"


_SETTINGS_SQL = f"""
SELECT
    set_config('statement_timeout', %s, true),
    (
        SELECT configuration FROM {PluginConfiguration._meta.db_table}
        WHERE identifier = %s AND channel_id = %s
    )
"""


def read_counts(channel_id, now: datetime) -> ChannelCounts:
    """The counts of ``domain.status``'s lines (``read_status`` reads them with
    the conversations' in the same statements)."""
    return read_status(channel_id, now).channel


def read_status(channel_id, now: datetime) -> StatusCounts:
    """Count a channel's rows in one statement on the read connection, after one
    that sets the timeout and reads the channel's answering hours.

    Raises a database error (Django's, or psycopg's for the transaction itself) if
    a statement fails or takes longer than ``STATEMENT_TIMEOUT_MS``.
    """
    database = connections[read_connection_name()]
    database.ensure_connection()
    # psycopg's own transaction block: a transaction of its own, or a savepoint when
    # the connection is in one already (the replica of Saleor's tests is the writer
    # under another name, inside the test's transaction). Either way it is rolled
    # back: the read changes nothing, and the local timeout ends with it.
    with database.connection.transaction(), database.cursor() as cursor:
        cursor.execute(
            _SETTINGS_SQL, [f"{STATEMENT_TIMEOUT_MS}ms", PLUGIN_ID, channel_id]
        )
        hours = _answer_hours(_json(cursor.fetchone()[1]))
        # The latest start of a wait that is past its target now, per contact
        # channel with a target: the waits are counted by the index on their
        # start, not one by one in working time.
        past_target = {
            contact_channel.value: latest
            for contact_channel in ContactChannel
            if (latest := latest_start_past_target(hours, contact_channel, now))
        }
        cursor.execute(
            _COUNTS_SQL,
            {
                "channel_id": channel_id,
                "now": now,
                "failed": NoticeStatus.FAILED.value,
                "failed_since": now - FAILED_NOTICES_WINDOW,
                "healthy": CodeHealth.HEALTHY.value,
                "at_risk": PromiseStatus.AT_RISK.value,
                "open": [status.value for status in OPEN_STATUSES],
                "shipped": [status.value for status in SHIPPED_STATUSES],
                "shipped_since": now - ON_TIME_WINDOW,
                "surveys_since": now - SURVEY_WINDOW,
                "waiting_on_store": ConversationStatus.WAITING_ON_STORE.value,
                "past_target_channels": list(past_target),
                "past_target_since": list(past_target.values()),
                "latest_past_target": max(past_target.values(), default=None),
                "answers_since": now - ANSWER_WINDOW,
            },
        )
        row = cursor.fetchone()
        raise psycopg.Rollback  # leaves the block, rolled back
    (
        open_alerts,
        failed_notices,
        failure_reasons,
        late_orders,
        at_risk_orders,
        codes_by_health,
        shipped_orders,
        shipped_on_time,
        surveys_sent,
        surveys_answered,
        satisfied_answers,
        satisfied_yes,
        waiting_past_target,
        recent,
    ) = row
    return StatusCounts(
        channel=ChannelCounts(
            open_alerts=_json(open_alerts),
            failed_notices=int(failed_notices),
            failure_reasons=tuple(
                (reason, int(total)) for reason, total in _json(failure_reasons)
            ),
            late_orders=late_orders,
            at_risk_orders=at_risk_orders,
            codes_by_health=_json(codes_by_health),
            shipped_orders=shipped_orders,
            shipped_on_time=shipped_on_time,
            surveys_sent=surveys_sent,
            surveys_answered=surveys_answered,
            satisfied_answers=satisfied_answers,
            satisfied_yes=satisfied_yes,
        ),
        conversations=ConversationCounts(
            waiting_past_target=_json(waiting_past_target),
            recent=tuple(_conversation_times(row) for row in _json(recent)),
            hours=hours,
        ),
    )


def _answer_hours(configuration) -> AnswerHours:
    # Settings saved before a rule changed and no longer valid count in the
    # default hours and targets, as the service metrics do.
    try:
        settings_now = fetch.settings_of(configuration or [])
    except SettingsError:
        settings_now = ChannelSettings()
    return settings_now.conversations.answer_hours


def _conversation_times(row) -> ConversationTimes:
    contact_channel, opened, answered, resolved, replies, reopened, status = row
    return ConversationTimes(
        contact_channel=ContactChannel(contact_channel),
        opened_at=_moment(opened),
        first_answered_at=_moment(answered),
        resolved_at=_moment(resolved),
        store_replies=replies,
        reopened=reopened,
        status=ConversationStatus(status),
    )


def _moment(text: str | None) -> datetime | None:
    # JSON holds a timestamptz as ISO 8601 text with its offset.
    return None if text is None else datetime.fromisoformat(text)


def read_connection_name() -> str:
    """Saleor's replica connection if it has one configured, else the default."""
    replica = getattr(settings, "DATABASE_CONNECTION_REPLICA_NAME", None)
    return replica if replica in settings.DATABASES else DEFAULT_DB_ALIAS


def _json(value):
    # psycopg decodes json columns itself; a cursor that does not hands back text.
    if isinstance(value, str):
        return json.loads(value)
    return value
