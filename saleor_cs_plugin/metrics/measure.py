"""The service metrics of one channel and period, counted in two statements.

Every measure is defined in docs/metrics.md. The period [since, until) is of whole
days in the store's time zone. One statement (after one setting) counts every table
the measures come from, through indexes on the period's rows only (migration 0010
adds the plugin's), so the number of queries and the rows read do not grow with the
store's history. A second one reads the times of the conversations opened in the
period, which the speed of answer is worked out from in working time.
The rules (shares, rounding, the split of first-time customers by experience) are
``domain.metrics``'s; the speed of answer is ``domain.conversations``'s.
"""

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.functions import Coalesce
from django.utils import timezone
from saleor.order import OrderStatus
from saleor.order.models import Order
from saleor.plugins.models import PluginConfiguration

from .. import fetch
from ..config import PLUGIN_ID, SettingsError
from ..domain.conversations import (
    AnswerHours,
    AnswerSpeed,
    ConversationStatus,
    ConversationTimes,
    answer_speed,
)
from ..domain.history import ContactChannel, EntryType
from ..domain.metrics import (
    REPEAT_WITHIN_DAYS_DEFAULT,
    Experience,
    FirstOrderFacts,
    RepeatGroup,
    RepeatPurchase,
    percent,
    repeat_purchase,
    weeks,
)
from ..domain.promises import DelayStage, PromiseStatus, StoreCalendar
from ..domain.surveys import Moment
from ..models import (
    Conversation,
    CouponFailure,
    DeliveryPromise,
    Notice,
    ServiceHistoryEntry,
    StockShortage,
    Survey,
)

__all__ = [
    "AnswerSpeed",
    "Experience",
    "RepeatGroup",
    "RepeatPurchase",
    "ServiceMetrics",
    "measure",
    "weekly",
]


@dataclass(frozen=True)
class ServiceMetrics:
    """The metrics of one channel for one period [since, until).

    Percentages have one decimal place; None when there is nothing to divide by.
    """

    surveys_sent: int = 0
    surveys_answered: int = 0
    response_rate: Decimal | None = None
    satisfied_percent: Decimal | None = None
    handled_as_wanted_percent: Decimal | None = None
    # {WrongThing value: surveys naming it}; {AbandonReason value: surveys}.
    what_went_wrong: dict[str, int] = field(default_factory=dict)
    why_not_completed: dict[str, int] = field(default_factory=dict)
    on_time_shipping_percent: Decimal | None = None
    on_time_delivery_percent: Decimal | None = None
    first_contact_resolution_percent: Decimal | None = None
    # {(notice type, status): notices}
    notices: dict[tuple[str, str], int] = field(default_factory=dict)
    # {coupon failure reason: failed attempts}
    coupon_failures: dict[str, int] = field(default_factory=dict)
    return_rate_percent: Decimal | None = None
    repeat_purchase: RepeatPurchase = field(
        default_factory=lambda: RepeatPurchase(within_days=REPEAT_WITHIN_DAYS_DEFAULT)
    )
    # The counts the percentages divide, for those who want to see them.
    satisfied_answers: int = 0
    handled_as_wanted_answers: int = 0
    orders_shipped: int = 0
    orders_delivered: int = 0
    contacts: int = 0
    orders_fulfilled: int = 0
    orders_returned: int = 0
    # The speed of answer of the conversations opened in the period, per contact
    # channel (only those with conversations), in the order of ContactChannel.
    answer_speed: tuple[AnswerSpeed, ...] = ()


# Orders that were never placed (drafts, expired unconfirmed ones) are no orders of
# a customer; cancelled ones are no purchase either.
NOT_PLACED = (OrderStatus.DRAFT, OrderStatus.EXPIRED)
NOT_PURCHASED = (*NOT_PLACED, OrderStatus.CANCELED)
# Saleor keeps an order's status from its fulfilments: returned (all of it) or
# partially returned once a fulfilment of it is returned or refunded and returned
# (FulfillmentStatus.RETURNED, REFUNDED_AND_RETURNED); fulfilled, partially so, or
# one of those once goods left the store.
RETURNED = (OrderStatus.RETURNED, OrderStatus.PARTIALLY_RETURNED)
FULFILLED = (
    OrderStatus.FULFILLED,
    OrderStatus.PARTIALLY_FULFILLED,
    *RETURNED,
)
SHIPPED_STATUSES = (
    PromiseStatus.SHIPPED_ON_TIME,
    PromiseStatus.SHIPPED_LATE,
    PromiseStatus.DELIVERED,
)

_SURVEY = Survey._meta.db_table
_PROMISE = DeliveryPromise._meta.db_table
_HISTORY = ServiceHistoryEntry._meta.db_table
_NOTICE = Notice._meta.db_table
_COUPON_FAILURE = CouponFailure._meta.db_table
_SHORTAGE = StockShortage._meta.db_table
_ORDER = Order._meta.db_table

# The facts of a first order, in FirstOrderFacts' order, then "ordered again".
_FACT_NAMES = (
    "was_delay_told",
    "had_stock_shortage",
    "had_after_problem_survey",
    "said_something_went_wrong",
    "any_handled_yes",
    "any_handled_no",
    "any_satisfied_yes",
    "any_satisfied_no",
)

_METRICS_SQL = f"""
WITH surveys AS (
    SELECT satisfied, handled_as_wanted, what_went_wrong, why_not_completed,
        first_answered_at
    FROM {_SURVEY}
    WHERE channel_id = %(channel_id)s AND sent_at >= %(start)s AND sent_at < %(end)s
),
period_orders AS (
    SELECT id, user_email, created_at, status
    FROM {_ORDER}
    WHERE channel_id = %(channel_id)s AND created_at >= %(start)s
        AND created_at < %(end)s AND NOT (status = ANY(%(not_placed)s))
),
-- Each customer of the period (by e-mail) with their first order of the period.
period_customers AS (
    SELECT DISTINCT ON (user_email) user_email, id AS order_id, created_at
    FROM period_orders
    WHERE user_email <> '' AND NOT (status = ANY(%(not_purchased)s))
    ORDER BY user_email, created_at, id
),
-- Their other orders in the channel, read in one scan of Saleor's index on the
-- e-mail for all of them at once (an index scan per customer costs ten times more).
other_orders AS (
    SELECT user_email, created_at
    FROM {_ORDER}
    WHERE user_email = ANY(ARRAY(SELECT user_email FROM period_customers))
        AND channel_id = %(channel_id)s
        AND NOT (status = ANY(%(not_purchased)s))
),
first_time AS (
    SELECT
        customer.order_id,
        coalesce(bool_or(
            other.created_at > customer.created_at
            AND other.created_at <= customer.created_at + %(repeat_within)s
        ), false) AS is_repeated
    FROM period_customers AS customer
    LEFT JOIN other_orders AS other ON other.user_email = customer.user_email
    GROUP BY customer.order_id
    HAVING NOT coalesce(bool_or(other.created_at < %(start)s), false)
),
first_facts AS (
    SELECT
        EXISTS (
            SELECT 1 FROM {_PROMISE} AS promise
            WHERE promise.order_id = first_time.order_id
                AND promise.notified_stage <> %(no_stage)s
        ) AS was_delay_told,
        EXISTS (
            SELECT 1 FROM {_SHORTAGE} AS shortage
            WHERE shortage.order_id = first_time.order_id
        ) AS had_stock_shortage,
        coalesce(answers.had_after_problem_survey, false) AS had_after_problem_survey,
        coalesce(answers.said_something_went_wrong, false) AS said_something_went_wrong,
        coalesce(answers.any_handled_yes, false) AS any_handled_yes,
        coalesce(answers.any_handled_no, false) AS any_handled_no,
        coalesce(answers.any_satisfied_yes, false) AS any_satisfied_yes,
        coalesce(answers.any_satisfied_no, false) AS any_satisfied_no,
        first_time.is_repeated
    FROM first_time
    CROSS JOIN LATERAL (
        SELECT
            bool_or(survey.moment = %(after_problem)s) AS had_after_problem_survey,
            bool_or(
                survey.satisfied IS FALSE OR cardinality(survey.what_went_wrong) > 0
            ) AS said_something_went_wrong,
            bool_or(survey.handled_as_wanted IS TRUE) AS any_handled_yes,
            bool_or(survey.handled_as_wanted IS FALSE) AS any_handled_no,
            bool_or(survey.satisfied IS TRUE) AS any_satisfied_yes,
            bool_or(survey.satisfied IS FALSE) AS any_satisfied_no
        FROM {_SURVEY} AS survey
        WHERE survey.order_id = first_time.order_id
    ) AS answers
)
SELECT
    (
        SELECT json_build_array(
            count(*),
            count(first_answered_at),
            count(satisfied),
            count(*) FILTER (WHERE satisfied),
            count(handled_as_wanted),
            count(*) FILTER (WHERE handled_as_wanted)
        )
        FROM surveys
    ),
    (
        SELECT coalesce(json_object_agg(thing, total), '{{}}'::json)
        FROM (
            SELECT thing, count(*) AS total
            FROM surveys, unnest(what_went_wrong) AS thing
            GROUP BY thing
        ) AS things
    ),
    (
        SELECT coalesce(json_object_agg(why_not_completed, total), '{{}}'::json)
        FROM (
            SELECT why_not_completed, count(*) AS total
            FROM surveys WHERE why_not_completed <> ''
            GROUP BY why_not_completed
        ) AS reasons
    ),
    (
        SELECT json_build_array(
            count(*), count(*) FILTER (WHERE shipped_at < ship_by_deadline)
        )
        FROM {_PROMISE}
        WHERE channel_id = %(channel_id)s AND shipped_at >= %(start)s
            AND shipped_at < %(end)s AND status = ANY(%(shipped)s)
    ),
    (
        SELECT json_build_array(
            count(is_delivered_on_time), count(*) FILTER (WHERE is_delivered_on_time)
        )
        FROM {_PROMISE}
        WHERE channel_id = %(channel_id)s AND delivered_at >= %(start)s
            AND delivered_at < %(end)s
    ),
    (
        SELECT json_build_array(
            count(entry.is_resolved_at_first_contact),
            count(*) FILTER (WHERE entry.is_resolved_at_first_contact)
        )
        FROM {_HISTORY} AS entry
        WHERE entry.type = %(contact)s AND entry.created_at >= %(start)s
            AND entry.created_at < %(end)s AND entry.order_id IS NOT NULL
            -- The order's channel: from its promise when it has one (an index
            -- holds it), else from the order.
            AND coalesce(
                (
                    SELECT promise.channel_id FROM {_PROMISE} AS promise
                    WHERE promise.order_id = entry.order_id
                ),
                (
                    SELECT contact_order.channel_id FROM {_ORDER} AS contact_order
                    WHERE contact_order.id = entry.order_id
                )
            ) = %(channel_id)s
    ),
    (
        SELECT coalesce(json_agg(json_build_array(notice_type, status, total)), '[]')
        FROM (
            SELECT notice_type, status, count(*) AS total
            FROM {_NOTICE}
            WHERE channel_id = %(channel_id)s AND created_at >= %(start)s
                AND created_at < %(end)s
            GROUP BY notice_type, status
        ) AS notices
    ),
    (
        SELECT coalesce(json_object_agg(reason, total), '{{}}'::json)
        FROM (
            SELECT reason, count(*) AS total
            FROM {_COUPON_FAILURE}
            WHERE channel_id = %(channel_id)s AND created_at >= %(start)s
                AND created_at < %(end)s
            GROUP BY reason
        ) AS failures
    ),
    (
        SELECT json_build_array(
            count(*) FILTER (WHERE status = ANY(%(fulfilled)s)),
            count(*) FILTER (WHERE status = ANY(%(returned)s))
        )
        FROM period_orders
    ),
    (
        SELECT coalesce(json_agg(json_build_array(facts, customers, repeated)), '[]')
        FROM (
            SELECT
                jsonb_build_array(
                    was_delay_told, had_stock_shortage, had_after_problem_survey,
                    said_something_went_wrong, any_handled_yes, any_handled_no,
                    any_satisfied_yes, any_satisfied_no
                ) AS facts,
                count(*) AS customers,
                count(*) FILTER (WHERE is_repeated) AS repeated
            FROM first_facts
            GROUP BY 1
        ) AS groups
    )
"""


def period_bounds(
    since: date, until: date, time_zone: str
) -> tuple[datetime, datetime]:
    """The first moment of ``since`` and of ``until`` in the store's time zone."""
    zone = ZoneInfo(time_zone)
    return (
        datetime.combine(since, time(), tzinfo=zone),
        datetime.combine(until, time(), tzinfo=zone),
    )


def measure(
    channel_id,
    since: date,
    until: date,
    *,
    repeat_within_days: int = REPEAT_WITHIN_DAYS_DEFAULT,
    using: str = DEFAULT_DB_ALIAS,
    time_zone: str = "UTC",
    answer_hours: AnswerHours | None = None,
    now: datetime | None = None,
) -> ServiceMetrics:
    """The metrics of ``channel_id`` for [since, until), in two statements on
    ``using`` (pass the read connection). The caller checks the period
    (``domain.metrics.check_period``).

    The speed of answer counts in ``answer_hours`` (the channel's
    ``conversations.answer_hours``; read from its settings when not given, one
    more query) and at ``now`` (default: the clock): a conversation still
    unanswered past its target by then counts as missed."""
    if answer_hours is None:
        answer_hours = channel_answer_hours(channel_id, using, time_zone)
    start, end = period_bounds(since, until, time_zone)
    database = connections[using]
    database.ensure_connection()
    # psycopg's own transaction block (a savepoint inside a transaction already
    # open), rolled back: the read changes nothing, and the setting ends with it.
    # PostgreSQL's JIT compiler would spend longer compiling the statement (its
    # cost estimate is high) than running it.
    with database.connection.transaction(), database.cursor() as cursor:
        cursor.execute("SELECT set_config('jit', 'off', true)")
        cursor.execute(
            _METRICS_SQL,
            {
                "channel_id": channel_id,
                "start": start,
                "end": end,
                "repeat_within": timedelta(days=repeat_within_days),
                "not_placed": list(NOT_PLACED),
                "not_purchased": list(NOT_PURCHASED),
                "no_stage": DelayStage.NONE.value,
                "after_problem": Moment.AFTER_PROBLEM.value,
                "shipped": [status.value for status in SHIPPED_STATUSES],
                "contact": EntryType.CONTACT.value,
                "returned": list(RETURNED),
                "fulfilled": list(FULFILLED),
            },
        )
        row = [_json(value) for value in cursor.fetchone()]
        raise psycopg.Rollback  # leaves the block, rolled back
    (
        surveys,
        things,
        reasons,
        shipping,
        delivery,
        contacts,
        notices,
        failures,
        returns,
        groups,
    ) = row
    sent, answered, satisfied_answers, satisfied, handled_answers, handled = surveys
    return ServiceMetrics(
        surveys_sent=sent,
        surveys_answered=answered,
        response_rate=percent(answered, sent),
        satisfied_percent=percent(satisfied, satisfied_answers),
        handled_as_wanted_percent=percent(handled, handled_answers),
        what_went_wrong=dict(sorted(things.items())),
        why_not_completed=dict(sorted(reasons.items())),
        on_time_shipping_percent=percent(shipping[1], shipping[0]),
        on_time_delivery_percent=percent(delivery[1], delivery[0]),
        first_contact_resolution_percent=percent(contacts[1], contacts[0]),
        notices={
            (notice_type, status): total
            for notice_type, status, total in sorted(notices)
        },
        coupon_failures=dict(sorted(failures.items())),
        return_rate_percent=percent(returns[1], returns[0]),
        repeat_purchase=repeat_purchase(
            [
                (FirstOrderFacts(**dict(zip(_FACT_NAMES, facts))), customers, repeated)
                for facts, customers, repeated in groups
            ],
            within_days=repeat_within_days,
        ),
        satisfied_answers=satisfied_answers,
        handled_as_wanted_answers=handled_answers,
        orders_shipped=shipping[0],
        orders_delivered=delivery[0],
        contacts=contacts[0],
        orders_fulfilled=returns[0],
        orders_returned=returns[1],
        answer_speed=tuple(
            answer_speed(
                conversation_times(channel_id, start, end, using=using),
                hours=answer_hours,
                now=now or timezone.now(),
            )
        ),
    )


def conversation_times(
    channel_id, start: datetime, end: datetime, *, using: str = DEFAULT_DB_ALIAS
) -> list[ConversationTimes]:
    """The times of the channel's conversations opened in [start, end), in one
    query. A conversation is opened at its first message (``opened_at``), or,
    kept before that was, when it was created."""
    rows = (
        Conversation.objects.using(using)
        .annotate(opened=Coalesce("opened_at", "created_at"))
        .filter(channel_id=channel_id, opened__gte=start, opened__lt=end)
        .order_by()
        .values_list(
            "contact_channel",
            "opened",
            "first_answered_at",
            "resolved_at",
            "store_replies",
            "reopened",
            "status",
        )
    )
    return [
        ConversationTimes(
            contact_channel=ContactChannel(contact_channel),
            opened_at=opened_at,
            first_answered_at=first_answered_at,
            resolved_at=resolved_at,
            store_replies=store_replies,
            reopened=reopened,
            status=ConversationStatus(status),
        )
        for (
            contact_channel,
            opened_at,
            first_answered_at,
            resolved_at,
            store_replies,
            reopened,
            status,
        ) in rows
    ]


def channel_answer_hours(
    channel_id, using: str = DEFAULT_DB_ALIAS, time_zone: str = "UTC"
) -> AnswerHours:
    """The channel's answering hours and targets, from its saved settings (one
    query); the defaults in ``time_zone`` when its settings are no longer valid,
    as the period's days fall back to UTC then."""
    configuration = (
        PluginConfiguration.objects.using(using)
        .filter(identifier=PLUGIN_ID, channel_id=channel_id)
        .values_list("configuration", flat=True)
        .first()
    )
    try:
        return fetch.settings_of(configuration or []).conversations.answer_hours
    except SettingsError:
        return AnswerHours(calendar=StoreCalendar(time_zone=time_zone))


def weekly(
    channel_id,
    since: date,
    until: date,
    *,
    using: str = DEFAULT_DB_ALIAS,
    time_zone: str = "UTC",
    answer_hours: AnswerHours | None = None,
    now: datetime | None = None,
) -> list[tuple[date, ServiceMetrics]]:
    """The metrics of each week of [since, until) from ``since``, as (the week's
    first day, its metrics); the last week may be shorter. Two statements a week,
    after one read of the channel's answering hours when they are not given."""
    hours = answer_hours or channel_answer_hours(channel_id, using, time_zone)
    now = now or timezone.now()
    return [
        (
            start,
            measure(
                channel_id,
                start,
                end,
                using=using,
                time_zone=time_zone,
                answer_hours=hours,
                now=now,
            ),
        )
        for start, end in weeks(since, until)
    ]


def _json(value):
    # psycopg decodes json columns itself; a cursor that does not hands back text.
    if isinstance(value, str):
        return json.loads(value)
    return value
