"""The status lines of a channel's plugin page, counted from the plugin's tables on
real PostgreSQL: exact lines, the conversations waiting past target and answered
within it in the channel's answering hours, one channel's rows only, the same
statements whatever the number of rows, the cache, and a database that does not
answer in time."""

import logging
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest
from django.core.cache import cache
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from saleor.channel.models import Channel
from saleor.graphql.tests.utils import get_graphql_content
from saleor.plugins.models import PluginConfiguration

from order_rows import open_orders
from saleor_cs_plugin import channel_status, staff_alerts
from saleor_cs_plugin.config import PLUGIN_ID
from saleor_cs_plugin.models import (
    Conversation,
    DeliveryPromise,
    Notice,
    PromotedCode,
    StaffAlert,
    Survey,
)
from saleor_cs_plugin.plugin import CustomerServicePlugin

pytestmark = pytest.mark.django_db

NO_APP = (
    "Saleor notify: no app receives Saleor's notifications (NOTIFY_USER webhook); "
    "choose the email or webhook transport, or install such an app."
)
BAD_LOGIN = "SMTP: authentication failed (535)"
# A channel id no row has, for tests that must write nothing.
NO_CHANNEL_ID = -1
MINUTE = timedelta(minutes=1)
PLUGIN_QUERY = """
query Plugin($id: ID!) {
  plugin(id: $id) {
    channelConfigurations {
      channel { slug }
      configuration { name value type }
    }
  }
}
"""
QUIET = {
    "status_staff_alerts": "none",
    "status_failed_notices": "none",
    "status_orders_at_risk": "none",
    "status_promoted_codes": "none",
    "status_on_time_shipping": "no shipped orders yet",
    "status_survey_satisfied": "no answers yet",
    "status_survey_response_rate": "no surveys sent yet",
    "status_conversations_waiting": "none",
    "status_first_answer_within_target": "no conversations yet",
}


@pytest.fixture(autouse=True)
def no_cached_lines(request):
    """No lines of the test's channels are cached when it starts, nor left after."""
    keys = [
        channel_status.cache_key(request.getfixturevalue(name).pk)
        for name in ("channel_USD", "channel_PLN")
        if name in request.fixturenames
    ] + [channel_status.cache_key(NO_CHANNEL_ID)]
    cache.delete_many(keys)
    yield
    cache.delete_many(keys)


def _alerts(channel, count, *, kind="promoted_code", is_resolved=False):
    now = timezone.now()
    for _ in range(count):
        raised = staff_alerts.raise_alert(
            kind=kind,
            cause_key=f"test:{uuid.uuid4()}",
            title="Something to look at",
            message="",
            now=now,
            channel_id=channel.pk,
        )
        if is_resolved:
            assert staff_alerts.resolve(raised.alert_id, now=now)


def _notices(
    channel, count, *, status="failed", error=BAD_LOGIN, age=timedelta(hours=1)
):
    notices = Notice.objects.bulk_create(
        Notice(
            idempotency_key=f"test:{uuid.uuid4()}",
            notice_type="order_delay",
            channel=channel,
            recipient_email="shopper@example.com",
            transport="saleor_notify",
            status=status,
            last_error=error,
        )
        for _ in range(count)
    )
    Notice.objects.filter(pk__in=[notice.pk for notice in notices]).update(
        updated_at=timezone.now() - age
    )


def _promises(channel, count, *, deadline_in, status="on_track", shipped_ago=None):
    """``count`` promises whose ship-by deadline is ``deadline_in`` from now."""
    now = timezone.now()
    order_ids = open_orders(
        channel, count, ship_by_deadline=now + deadline_in, review_at=None
    )
    DeliveryPromise.objects.filter(order_id__in=order_ids).update(
        status=status,
        shipped_at=None if shipped_ago is None else now - shipped_ago,
    )


def _codes(channel, count, *, health, promoted_for=None):
    """``count`` promoted codes; ``promoted_for`` from now (None: no end)."""
    until = None if promoted_for is None else timezone.now() + promoted_for
    PromotedCode.objects.bulk_create(
        PromotedCode(
            code=f"CODE-{uuid.uuid4().hex[:8]}",
            channel=channel,
            placements=["banner"],
            health=health,
            promoted_until=until,
        )
        for _ in range(count)
    )


def _surveys(
    channel,
    count,
    *,
    sent_ago=timedelta(days=1),
    satisfied=None,
    is_answered=True,
    status="sent",
):
    """``count`` surveys of completed orders, sent ``sent_ago`` (None: not sent)."""
    now = timezone.now()
    sent_at = None if sent_ago is None else now - sent_ago
    answered_at = sent_at + timedelta(hours=1) if is_answered and sent_at else None
    Survey.objects.bulk_create(
        Survey(
            survey_key=f"test:{uuid.uuid4()}",
            moment="completed",
            channel=channel,
            email="shopper@example.com",
            status=status,
            sent_at=sent_at,
            closes_at=None if sent_at is None else sent_at + timedelta(days=14),
            satisfied=satisfied,
            first_answered_at=answered_at,
            answered_at=answered_at,
        )
        for _ in range(count)
    )


def _conversations(
    channel,
    count,
    *,
    contact_channel="chat",
    opened,
    answered=None,
    waiting_since=None,
    is_opened_at_kept=True,
):
    """``count`` conversations opened at ``opened``: answered at ``answered``, or
    waiting for the store since ``waiting_since`` (default: ``opened``). With
    ``is_opened_at_kept=False``, kept before the first message's time was
    (``opened_at`` NULL, created at ``opened``)."""
    Conversation.objects.bulk_create(
        Conversation(
            channel=channel,
            contact_channel=contact_channel,
            sender=f"sender-{uuid.uuid4()}",
            status="waiting_on_customer" if answered else "waiting_on_store",
            created_at=opened,
            opened_at=opened if is_opened_at_kept else None,
            waiting_since=None if answered else (waiting_since or opened),
            first_answered_at=answered,
            store_replies=1 if answered else 0,
        )
        for _ in range(count)
    )


def _rows_of_each(channel, count):
    _alerts(channel, count)
    _notices(channel, count)
    _promises(channel, count, deadline_in=-timedelta(hours=2))
    _promises(
        channel,
        count,
        deadline_in=-timedelta(days=1),
        status="shipped_on_time",
        shipped_ago=timedelta(days=2),
    )
    _codes(channel, count, health="expired")
    _surveys(channel, count, satisfied=True)
    # A week ago (five working days at least): a chat answered in a minute,
    # within any target, and one never answered, past it.
    week_ago = timezone.now() - timedelta(days=8)
    _conversations(channel, count, opened=week_ago, answered=week_ago + MINUTE)
    _conversations(channel, count, opened=week_ago)


def test_the_lines_count_what_needs_attention_in_the_channel(channel_USD):
    # given open alerts and one marked done
    _alerts(channel_USD, 2, kind="promoted_code")
    _alerts(channel_USD, 1, kind="notice_delivery")
    _alerts(channel_USD, 1, kind="shortage_choice", is_resolved=True)
    # notices failed this week, one failed last week, one sent, one still retried
    _notices(channel_USD, 3, error=NO_APP)
    _notices(channel_USD, 1, error=BAD_LOGIN, age=timedelta(days=6, hours=23))
    _notices(channel_USD, 1, error=BAD_LOGIN, age=timedelta(days=7, hours=1))
    _notices(channel_USD, 1, status="sent", error="")
    _notices(channel_USD, 1, status="pending", error="Webhook: HTTP 503")
    # open promises past their deadline (whatever the sweep last said), at risk with
    # the deadline ahead, on track, and a cancelled one past its deadline
    _promises(channel_USD, 1, deadline_in=-timedelta(hours=1))
    _promises(channel_USD, 1, deadline_in=-timedelta(days=2), status="late")
    _promises(channel_USD, 1, deadline_in=-timedelta(minutes=5), status="at_risk")
    _promises(channel_USD, 2, deadline_in=timedelta(hours=6), status="at_risk")
    _promises(channel_USD, 1, deadline_in=timedelta(days=2))
    _promises(channel_USD, 1, deadline_in=-timedelta(days=1), status="cancelled")
    # shipped this month: 2 on time, 1 delivered that shipped on time, 1 late; and
    # one shipped on time 31 days ago
    _promises(
        channel_USD,
        2,
        deadline_in=-timedelta(days=3),
        status="shipped_on_time",
        shipped_ago=timedelta(days=4),
    )
    _promises(
        channel_USD,
        1,
        deadline_in=-timedelta(days=10),
        status="delivered",
        shipped_ago=timedelta(days=11),
    )
    _promises(
        channel_USD,
        1,
        deadline_in=-timedelta(days=5),
        status="shipped_late",
        shipped_ago=timedelta(days=4),
    )
    _promises(
        channel_USD,
        1,
        deadline_in=-timedelta(days=30),
        status="shipped_on_time",
        shipped_ago=timedelta(days=31),
    )
    # promoted codes: an expired and an expiring one still promoted, a healthy one,
    # one never checked, and an expired one whose promotion has ended
    _codes(channel_USD, 1, health="expired")
    _codes(channel_USD, 1, health="expiring_soon", promoted_for=timedelta(days=3))
    _codes(channel_USD, 1, health="healthy")
    _codes(channel_USD, 1, health="")
    _codes(channel_USD, 1, health="expired", promoted_for=-timedelta(minutes=1))
    # surveys sent this month: two satisfied, one not, one answered only about
    # what went wrong, one not answered; one sent 31 days ago and one still
    # scheduled
    _surveys(channel_USD, 2, satisfied=True)
    _surveys(channel_USD, 1, satisfied=False, sent_ago=timedelta(days=29))
    _surveys(channel_USD, 1)
    _surveys(channel_USD, 1, is_answered=False)
    _surveys(channel_USD, 1, satisfied=True, sent_ago=timedelta(days=31))
    _surveys(channel_USD, 1, sent_ago=None, is_answered=False, status="scheduled")

    # when
    values = channel_status.status_values(channel_USD.pk)

    # then
    assert values == {
        "status_staff_alerts": "3 open: 2 promoted codes, 1 delivery problem",
        "status_failed_notices": (
            "4 failed: 3 × Saleor notify: no app receives Saleor's notifications…; "
            "1 × SMTP: authentication failed (535)"
        ),
        "status_orders_at_risk": "3 late, 2 at risk",
        "status_promoted_codes": "2 codes: 1 expired, 1 expires soon",
        "status_on_time_shipping": "75% of 4 orders",
        "status_survey_satisfied": "66% of 3 answers",
        "status_survey_response_rate": "80% of 5 surveys",
        "status_conversations_waiting": "none",
        "status_first_answer_within_target": "no conversations yet",
    }


WARSAW = ZoneInfo("Europe/Warsaw")
# Tuesday 1 December 2026, 9:03 in Warsaw.
NOW = datetime(2026, 12, 1, 9, 3, tzinfo=WARSAW)


def _warsaw(month, day, hour, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=WARSAW)


def test_the_conversation_lines_count_in_the_channels_answering_hours(
    plugin_configuration, channel_USD, channel_PLN
):
    # given answers 9-17 on weekdays in Warsaw: chat within 5 minutes, e-mail
    # within 24 working hours, SMS without a target
    plugin_configuration(
        time_zone="Europe/Warsaw",
        answer_hours="9-17",
        answer_targets="chat 5 minutes, email 24 hours",
    )
    # waiting: a chat since Monday 16:58 (2 minutes then, 3 this morning: due
    # at 9:03 exactly), one a microsecond later (not yet), one since Friday; an
    # e-mail since Wednesday 25 November 10:00 (due Monday 10:00) and an SMS
    _conversations(channel_USD, 1, opened=_warsaw(11, 30, 16, 58))
    _conversations(
        channel_USD,
        1,
        opened=_warsaw(11, 30, 16, 58) + timedelta(microseconds=1),
    )
    _conversations(channel_USD, 1, opened=_warsaw(11, 27, 10))
    _conversations(channel_USD, 1, contact_channel="email", opened=_warsaw(11, 25, 10))
    _conversations(channel_USD, 1, contact_channel="sms", opened=_warsaw(11, 20, 10))
    # answered: chats in 2 and 4 minutes, one in 30 minutes kept before the
    # first message's time was, and an e-mail of Friday 16:00 on Monday 9:00
    _conversations(
        channel_USD, 1, opened=_warsaw(11, 30, 10), answered=_warsaw(11, 30, 10, 2)
    )
    _conversations(
        channel_USD, 1, opened=_warsaw(11, 30, 11), answered=_warsaw(11, 30, 11, 4)
    )
    _conversations(
        channel_USD,
        1,
        opened=_warsaw(11, 27, 12),
        answered=_warsaw(11, 27, 12, 30),
        is_opened_at_kept=False,
    )
    _conversations(
        channel_USD,
        1,
        contact_channel="email",
        opened=_warsaw(11, 20, 16),
        answered=_warsaw(11, 23, 9),
    )
    # a chat opened more than 30 days ago, waiting again since Friday: past
    # target, but not of the last 30 days; and the PLN channel's, not counted
    _conversations(
        channel_USD, 1, opened=_warsaw(10, 30, 10), waiting_since=_warsaw(11, 27, 11)
    )
    _conversations(channel_PLN, 2, opened=_warsaw(11, 27, 10))

    # when
    values = channel_status.status_values(channel_USD.pk, now=NOW)

    # then: past target 3 chats and the e-mail; of the 7 answered or past
    # target, 3 answered within (first answers of 2, 4 and 30 minutes and 65
    # hours: the median halfway between 4 and 30 minutes)
    assert {
        name: values[name]
        for name in (
            "status_conversations_waiting",
            "status_first_answer_within_target",
        )
    } == {
        "status_conversations_waiting": "4 past target: 3 chat, 1 email",
        "status_first_answer_within_target": (
            "42% of 7 conversations, median first answer 17 minutes"
        ),
    }


def test_a_channel_with_nothing_to_look_at_says_none(channel_USD):
    assert channel_status.status_values(channel_USD.pk) == QUIET


def test_the_lines_count_the_rows_of_their_own_channel_only(channel_USD, channel_PLN):
    # given rows of every kind in the PLN channel only
    _rows_of_each(channel_PLN, 2)

    # when
    usd = channel_status.status_values(channel_USD.pk)
    pln = channel_status.status_values(channel_PLN.pk)

    # then
    assert usd == QUIET
    assert pln == {
        "status_staff_alerts": "2 open: 2 promoted codes",
        "status_failed_notices": "2 failed: 2 × SMTP: authentication failed (535)",
        "status_orders_at_risk": "2 late",
        "status_promoted_codes": "2 codes: 2 expired",
        "status_on_time_shipping": "100% of 2 orders",
        "status_survey_satisfied": "100% of 2 answers",
        "status_survey_response_rate": "100% of 2 surveys",
        "status_conversations_waiting": "2 past target: 2 chat",
        "status_first_answer_within_target": (
            "50% of 4 conversations, median first answer 1 minute"
        ),
    }


def test_the_lines_take_the_same_statements_for_1_and_50_rows_of_each(channel_USD):
    # given one row of each kind
    _rows_of_each(channel_USD, 1)
    with CaptureQueriesContext(connection) as one_row:
        channel_status.status_values(channel_USD.pk)

    # when there are 50 of each
    _rows_of_each(channel_USD, 49)
    cache.delete(channel_status.cache_key(channel_USD.pk))
    with CaptureQueriesContext(connection) as fifty_rows:
        values = channel_status.status_values(channel_USD.pk)

    # then the same two statements count them: the timeout, then one query
    assert values == {
        "status_staff_alerts": "50 open: 50 promoted codes",
        "status_failed_notices": "50 failed: 50 × SMTP: authentication failed (535)",
        "status_orders_at_risk": "50 late",
        "status_promoted_codes": "50 codes: 50 expired",
        "status_on_time_shipping": "100% of 50 orders",
        "status_survey_satisfied": "100% of 50 answers",
        "status_survey_response_rate": "100% of 50 surveys",
        "status_conversations_waiting": "50 past target: 50 chat",
        "status_first_answer_within_target": (
            "50% of 100 conversations, median first answer 1 minute"
        ),
    }
    assert len(one_row) == len(fifty_rows) == 2
    statements = [
        " ".join(query["sql"].split()) for query in fifty_rows.captured_queries
    ]
    assert statements[0] == (
        "SELECT set_config('statement_timeout', '500ms', true), ( SELECT "
        "configuration FROM plugins_pluginconfiguration WHERE identifier = "
        f"'{PLUGIN_ID}' AND channel_id = {channel_USD.pk} )"
    )
    assert statements[1].startswith("WITH failed AS")


def test_the_counts_are_read_on_the_replica_connection(channel_USD):
    # given a record of the connection each statement runs on
    aliases = []

    def record(execute, sql, params, many, context):
        aliases.append(context["connection"].alias)
        return execute(sql, params, many, context)

    # when
    with connections["default"].execute_wrapper(record):
        channel_status.status_values(channel_USD.pk)

    # then (Saleor's tests make the replica a second name of the same database)
    assert channel_status.read_connection_name() == "replica"
    assert aliases.count("replica") == 2
    assert set(aliases) <= {"replica", "default"}


def _statement_timeout() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        return cursor.fetchone()[0]


def test_the_statement_timeout_ends_with_the_read(channel_USD):
    before = _statement_timeout()

    channel_status.status_values(channel_USD.pk)

    assert _statement_timeout() == before
    assert before != "500ms"


def test_cached_lines_are_served_without_a_query(
    channel_USD, django_assert_num_queries
):
    # given the lines were read once
    first = channel_status.status_values(channel_USD.pk)
    # and a new alert since
    _alerts(channel_USD, 1)

    # when the lines are asked again
    with django_assert_num_queries(0):
        second = channel_status.status_values(channel_USD.pk)

    # then they come from the cache until it forgets them
    assert second == first == QUIET
    cache.delete(channel_status.cache_key(channel_USD.pk))
    assert channel_status.status_values(channel_USD.pk)["status_staff_alerts"] == (
        "1 open: 1 promoted code"
    )


def _other_connection():
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        dbname=settings["NAME"],
    )


def _blocked_alerts():
    """Another session holding a lock that stops every read of the alerts (as a
    long migration would); roll it back to let reads through."""
    blocker = _other_connection()
    blocker.execute("SET lock_timeout = '5s'")
    blocker.execute(f"LOCK TABLE {StaffAlert._meta.db_table} IN ACCESS EXCLUSIVE MODE")
    return blocker


def test_a_database_that_does_not_answer_in_time_gives_unavailable_lines(
    channel_USD, caplog, django_assert_num_queries
):
    # given another session holds a lock that stops every read of the alerts
    before = _statement_timeout()
    blocker = _blocked_alerts()
    try:
        # when the lines are read
        with caplog.at_level(logging.WARNING, logger="saleor_cs_plugin.channel_status"):
            values = channel_status.status_values(channel_USD.pk)
    finally:
        blocker.rollback()
        blocker.close()

    # then every line says so, nothing is raised, and the error is logged
    assert values == dict.fromkeys(QUIET, "unavailable right now")
    assert [record.getMessage() for record in caplog.records] == [
        f"Status lines of channel {channel_USD.pk} unavailable: reading the counts "
        "failed."
    ]
    assert "statement timeout" in caplog.records[0].exc_text
    # and the connection goes on working, with its own timeout
    assert Channel.objects.filter(pk=channel_USD.pk).exists()
    assert _statement_timeout() == before
    # and the database is not asked again at once
    with django_assert_num_queries(0):
        assert channel_status.status_values(channel_USD.pk) == values


def test_the_dashboards_plugin_query_shows_each_channels_own_lines(
    staff_api_client,
    permission_manage_plugins,
    plugin_configuration,
    channel_USD,
    channel_PLN,
):
    # given the plugin in two channels, and a channel with an open alert and a late
    # order
    plugin_configuration()
    PluginConfiguration.objects.create(
        identifier=CustomerServicePlugin.PLUGIN_ID,
        channel=channel_PLN,
        active=True,
        configuration=CustomerServicePlugin.DEFAULT_CONFIGURATION,
    )
    _alerts(channel_USD, 1, kind="notice_delivery")
    _promises(channel_USD, 1, deadline_in=-timedelta(hours=3), status="at_risk")
    staff_api_client.user.user_permissions.add(permission_manage_plugins)

    # when staff open the plugin's page (Saleor's guard against reads on the
    # writer is on for the request)
    response = staff_api_client.post_graphql(
        PLUGIN_QUERY, {"id": CustomerServicePlugin.PLUGIN_ID}
    )

    # then each channel's configuration carries its own read-only lines
    configurations = get_graphql_content(response)["data"]["plugin"][
        "channelConfigurations"
    ]
    lines = {
        configuration["channel"]["slug"]: {
            item["name"]: (item["value"], item["type"])
            for item in configuration["configuration"]
            if item["name"] in QUIET
        }
        for configuration in configurations
    }
    assert lines[channel_USD.slug] == {
        "status_staff_alerts": ("1 open: 1 delivery problem", "OUTPUT"),
        "status_failed_notices": ("none", "OUTPUT"),
        "status_orders_at_risk": ("1 late", "OUTPUT"),
        "status_promoted_codes": ("none", "OUTPUT"),
        "status_on_time_shipping": ("no shipped orders yet", "OUTPUT"),
        "status_survey_satisfied": ("no answers yet", "OUTPUT"),
        "status_survey_response_rate": ("no surveys sent yet", "OUTPUT"),
        "status_conversations_waiting": ("none", "OUTPUT"),
        "status_first_answer_within_target": ("no conversations yet", "OUTPUT"),
    }
    assert lines[channel_PLN.slug] == {
        name: (value, "OUTPUT") for name, value in QUIET.items()
    }


def test_on_a_replica_of_its_own_the_read_is_a_transaction_of_its_own():
    # given a replica connection of its own in autocommit mode, as in a store
    # (Saleor's tests make the replica the writer under another name)
    tests_replica = connections["replica"]
    writer = connections["default"]
    replica = type(writer)(dict(writer.settings_dict), alias="replica")
    connections["replica"] = replica
    try:
        # when the lines are read, once in time and once blocked
        values = channel_status.status_values(NO_CHANNEL_ID)
        cache.delete(channel_status.cache_key(NO_CHANNEL_ID))
        blocker = _blocked_alerts()
        try:
            blocked = channel_status.status_values(NO_CHANNEL_ID)
        finally:
            blocker.rollback()
            blocker.close()

        # then no transaction is left open and the session keeps its own timeout
        assert values == QUIET
        assert blocked == dict.fromkeys(QUIET, "unavailable right now")
        assert replica.get_autocommit()
        assert (
            replica.connection.info.transaction_status
            == psycopg.pq.TransactionStatus.IDLE
        )
        with replica.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone() == (_statement_timeout(),)
    finally:
        connections["replica"] = tests_replica
        replica.close()
