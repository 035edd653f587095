"""A channel's state now, as the status lines at the top of the plugin's page in the
Dashboard show it: open staff alerts, notices failed in the last 7 days and why,
orders late or at risk, promoted codes needing attention, on-time shipping, and
the surveys' satisfied customers and response rate, in the last 30 days.

The page must never wait on these lines or fail because of them: the counts are one
statement on the replica connection (when Saleor has one) under a short statement
timeout, whatever the number of rows; the lines are cached briefly per channel; and
any database error gives every line "unavailable right now" instead of an error.
"""

import json
import logging
from datetime import datetime, timedelta

import psycopg
from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, Error, connections
from django.utils import timezone

from .domain.coupons import CodeHealth
from .domain.notices import NoticeStatus
from .domain.promises import OPEN_STATUSES, PromiseStatus
from .domain.status import ChannelCounts, status_lines, unavailable_lines
from .models import DeliveryPromise, Notice, PromotedCode, StaffAlert, Survey

logger = logging.getLogger(__name__)

CACHE_SECONDS = 60
# Lines that could not be read are kept for less time, but kept: a database too busy
# to answer is not asked again on every page load.
UNAVAILABLE_CACHE_SECONDS = 10
STATEMENT_TIMEOUT_MS = 500
FAILED_NOTICES_WINDOW = timedelta(days=7)
ON_TIME_WINDOW = timedelta(days=30)
SURVEY_WINDOW = timedelta(days=30)
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
    surveys.satisfied_yes
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


def status_values(channel_id, *, now: datetime | None = None) -> dict[str, str]:
    """{status field name: line} of a channel; never raises for a database error.

    Served from the cache while it has the channel's lines (``CACHE_SECONDS``),
    whatever ``now`` is; ``now`` (default: the clock) is the moment counted at.
    """
    key = cache_key(channel_id)
    values = cache.get(key)
    if values is not None:
        return values
    try:
        values = status_lines(read_counts(channel_id, now or timezone.now()))
        timeout = CACHE_SECONDS
    except (Error, psycopg.Error):
        logger.warning(
            "Status lines of channel %s unavailable: reading the counts failed.",
            channel_id,
            exc_info=True,
        )
        values = unavailable_lines()
        timeout = UNAVAILABLE_CACHE_SECONDS
    cache.set(key, values, timeout)
    return values


def cache_key(channel_id) -> str:
    return f"saleor_cs_plugin:channel_status:{channel_id}"


def read_counts(channel_id, now: datetime) -> ChannelCounts:
    """Count a channel's rows in one statement on the read connection.

    Raises a database error (Django's, or psycopg's for the transaction itself) if
    the statement fails or takes longer than ``STATEMENT_TIMEOUT_MS``.
    """
    database = connections[read_connection_name()]
    database.ensure_connection()
    # psycopg's own transaction block: a transaction of its own, or a savepoint when
    # the connection is in one already (the replica of Saleor's tests is the writer
    # under another name, inside the test's transaction). Either way it is rolled
    # back: the read changes nothing, and the local timeout ends with it.
    with database.connection.transaction(), database.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('statement_timeout', %s, true)",
            [f"{STATEMENT_TIMEOUT_MS}ms"],
        )
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
    ) = row
    return ChannelCounts(
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
    )


def read_connection_name() -> str:
    """Saleor's replica connection if it has one configured, else the default."""
    replica = getattr(settings, "DATABASE_CONNECTION_REPLICA_NAME", None)
    return replica if replica in settings.DATABASES else DEFAULT_DB_ALIAS


def _json(value):
    # psycopg decodes json columns itself; a cursor that does not hands back text.
    if isinstance(value, str):
        return json.loads(value)
    return value
