"""The store's secrets (the SMTP password, the webhook secret, SECRET_KEY and the
keys derived from it) never reach a log record, a GraphQL answer, a broker message
or a stored row, however deliveries fail.

Deliveries fail against real local peers: an SMTP server that refuses the login,
a webhook receiver answering 500 then 401, ports where nothing listens, and a
channel whose saved settings became invalid. Every log record of every logger is
kept at DEBUG; every table but Saleor's plugin settings is searched, and the task
messages the plugin put on a real Redis broker.
"""

import logging
import os
import uuid

import graphene
import pytest
import redis
from django.core import signing
from django.db import connection
from saleor.graphql.tests.utils import get_graphql_content
from saleor.plugins.models import PluginConfiguration

from peers import WebhookReceiver
from saleor_cs_plugin import config, shortages, tasks
from saleor_cs_plugin.config import PLUGIN_ID
from saleor_cs_plugin.domain.notices import NoticeStatus
from saleor_cs_plugin.models import Notice, StaffAlert
from saleor_cs_plugin.surveys import sweep, tokens
from security_support import (
    SETTINGS_TABLE,
    RefusingSmtpServer,
    StoreSecrets,
    all_log_records,
    broker_messages,
    closed_port,
    database_leaks,
    leaks,
    make_due,
    order_delay_notice,
    sending_to_redis,
    store_channel,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS"),
]

BROKER_URL = os.environ.get("SALEOR_CS_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")

PLUGIN = """
query ($id: ID!) {
  plugin(id: $id) {
    channelConfigurations {
      channel { slug }
      configuration { name value type }
    }
  }
}
"""

PLUGIN_UPDATE = """
mutation ($id: ID!, $channelId: ID!, $input: PluginUpdateInput!) {
  pluginUpdate(id: $id, channelId: $channelId, input: $input) {
    plugin { channelConfigurations { channel { slug } configuration { name value } } }
    errors { field code message }
  }
}
"""

NOTICES = """
query {
  serviceNotices(first: 50) {
    edges { node { id type status transport attempts lastError recipientEmail subject } }
  }
}
"""

ALERTS = """
query {
  serviceStaffAlerts(first: 50) {
    edges { node { kind title message details occurrences } }
  }
}
"""


@pytest.fixture
def store(settings):
    """A SECRET_KEY of this test, and an SMTP password and webhook secret."""
    settings.SECRET_KEY = f"sk-{uuid.uuid4().hex}{uuid.uuid4().hex}"
    return StoreSecrets.new(
        settings.SECRET_KEY,
        signing_salts=(tokens.TOKEN_SALT, shortages.CHOICE_TOKEN_SALT),
        derived={"survey sampling salt": sweep.sample_salt()},
    )


@pytest.fixture
def redis_broker():
    """Saleor's Celery app sending to a real Redis, on a queue of this test's,
    instead of running tasks at once."""
    queue = f"saleor-cs-test-{uuid.uuid4().hex[:12]}"
    with sending_to_redis(BROKER_URL, queue):
        yield queue
    redis.Redis.from_url(BROKER_URL).delete(queue)


@pytest.fixture
def peers(store):
    refusing_smtp = RefusingSmtpServer().start()
    webhook = WebhookReceiver(
        secret=store.webhook_secret, planned_statuses=[500, 401]
    ).start()
    yield refusing_smtp, webhook
    webhook.stop()
    refusing_smtp.stop()


def test_failing_deliveries_leak_no_secret_to_logs_rows_broker_or_graphql(
    store,
    peers,
    redis_broker,
    django_capture_on_commit_callbacks,
    staff_in_group,
    permission_manage_plugins,
    permission_manage_orders,
):
    refusing_smtp, webhook = peers
    short_secret = f"short-{uuid.uuid4().hex[:6]}"
    with all_log_records() as records:
        # given: one channel per way of failing
        smtp_refused = store_channel(
            store,
            notice_transports="*=email",
            smtp_port=str(refusing_smtp.port),
            max_attempts="3",
        )
        webhook_refused = store_channel(
            store, webhook_url=webhook.url, max_attempts="3"
        )
        webhook_unreachable = store_channel(
            store,
            webhook_url=f"http://127.0.0.1:{closed_port()}/notices",
            max_attempts="1",
        )
        smtp_unreachable = store_channel(
            store,
            notice_transports="*=email",
            smtp_port=str(closed_port()),
            max_attempts="1",
        )
        invalid = store_channel(store, webhook_url=webhook.url)
        notices = {
            "smtp refused": order_delay_notice(smtp_refused, "smtp-refused"),
            "webhook refused": order_delay_notice(webhook_refused, "webhook-refused"),
            "webhook unreachable": order_delay_notice(
                webhook_unreachable, "webhook-unreachable"
            ),
            "smtp unreachable": order_delay_notice(
                smtp_unreachable, "smtp-unreachable"
            ),
            "invalid settings": order_delay_notice(
                invalid, "invalid", config.ChannelSettings().notices
            ),
        }
        # the invalid channel's secret became too short (saved before the check)
        configuration = PluginConfiguration.objects.get(channel=invalid)
        for item in configuration.configuration:
            if item["name"] == "webhook_secret":
                item["value"] = short_secret
        configuration.save(update_fields=["configuration"])

        # when: the notices are queued, delivered, retried and swept
        with django_capture_on_commit_callbacks(execute=True):
            tasks.schedule_delivery([n.pk for n in notices.values()])
        for notice in notices.values():
            tasks.deliver_notice_task(str(notice.pk))
        retried = notices["webhook refused"]
        make_due(retried)
        tasks.deliver_notice_task(str(retried.pk))
        tasks.sweep_notices_task()

        # and staff read the settings, the notices and the alerts
        staff = staff_in_group(permission_manage_plugins, permission_manage_orders)
        plugin = get_graphql_content(staff.post_graphql(PLUGIN, {"id": PLUGIN_ID}))
        update = get_graphql_content(
            staff.post_graphql(
                PLUGIN_UPDATE,
                {
                    "id": PLUGIN_ID,
                    "channelId": _global_id(webhook_refused),
                    "input": {
                        "configuration": [{"name": "sender_name", "value": "Acme Care"}]
                    },
                },
            )
        )
        refused_update = get_graphql_content(
            staff.post_graphql(
                PLUGIN_UPDATE,
                {
                    "id": PLUGIN_ID,
                    "channelId": _global_id(webhook_refused),
                    "input": {
                        "configuration": [
                            {"name": "webhook_secret", "value": short_secret}
                        ]
                    },
                },
            )
        )
        listed = get_graphql_content(staff.post_graphql(NOTICES))
        alerts = get_graphql_content(staff.post_graphql(ALERTS))

    # then: each delivery failed, for the reason it was made to
    failed = {
        name: Notice.objects.values_list("status", "attempts", "last_error").get(
            pk=notice.pk
        )
        for name, notice in notices.items()
    }
    assert failed["smtp refused"] == (
        NoticeStatus.FAILED,
        1,
        "SMTP: authentication failed (535)",
    )
    assert failed["webhook refused"] == (
        NoticeStatus.FAILED,
        2,
        "Webhook: HTTP 401 planned answer",
    )
    assert failed["webhook unreachable"] == (
        NoticeStatus.FAILED,
        1,
        "Webhook: ConnectionError",
    )
    assert failed["smtp unreachable"][:2] == (NoticeStatus.FAILED, 1)
    assert failed["smtp unreachable"][2].startswith("SMTP: ConnectionRefusedError: ")
    assert failed["invalid settings"][0] == NoticeStatus.FAILED
    assert failed["invalid settings"][2].startswith(
        "The channel's saved settings are invalid: webhook_secret: too short"
    )
    assert refusing_smtp.messages == []
    # the receiver checked both posts with the real secret
    assert [r.is_signature_valid for r in webhook.requests] == [True, True]
    # one alert a channel: each failure is the merchant's to fix
    assert sorted(StaffAlert.objects.values_list("channel_id", flat=True)) == sorted(
        n.channel_id for n in notices.values()
    )

    # the broker carried notice ids, and nothing else
    messages = broker_messages(BROKER_URL, redis_broker)
    ids = {str(n.pk) for n in notices.values()}
    assert [m.task for m in messages] == [
        "saleor_cs_plugin.deliver_notices",
        "saleor_cs_plugin.deliver_notice",
    ]
    assert set(messages[0].args[0]) == ids
    assert messages[1].args == [str(retried.pk)]
    assert [m.kwargs for m in messages] == [{}, {}]

    # staff see that the secrets are set, never what they are
    configurations = {
        item["channel"]["slug"]: {c["name"]: c for c in item["configuration"]}
        for item in plugin["data"]["plugin"]["channelConfigurations"]
    }
    for channel in (smtp_refused, webhook_refused, invalid):
        fields = configurations[channel.slug]
        assert fields["smtp_password"] == {
            "name": "smtp_password",
            "value": "",
            "type": "PASSWORD",
        }
        assert fields["webhook_secret"]["value"] == ""
        assert fields["webhook_secret"]["type"] == "PASSWORD"
    assert update["data"]["pluginUpdate"]["errors"] == []
    # saving another setting keeps the secrets as they were
    saved = {
        item["name"]: item["value"]
        for item in PluginConfiguration.objects.get(
            channel=webhook_refused
        ).configuration
    }
    assert (saved["sender_name"], saved["smtp_password"], saved["webhook_secret"]) == (
        "Acme Care",
        store.smtp_password,
        store.webhook_secret,
    )
    assert refused_update["data"]["pluginUpdate"]["errors"] == [
        {
            # Saleor writes a ValidationError's field in camel case.
            "field": "webhookSecret",
            "code": "INVALID",
            "message": (
                "Webhook · Secret (at least 16 characters): too short or empty; "
                "while a webhook URL is set, the secret needs at least 16 characters."
            ),
        }
    ]
    assert len(listed["data"]["serviceNotices"]["edges"]) == 5
    assert {
        e["node"]["kind"] for e in alerts["data"]["serviceStaffAlerts"]["edges"]
    } == {"NOTICE_DELIVERY"}

    # and no secret, in any form, is anywhere but in the settings
    short = StoreSecrets(short_secret, short_secret, store.secret_key)
    texts = records.texts()
    assert any("failed: SMTP: authentication failed" in text for text in texts)
    assert [name for text in texts for name in leaks(text, store)] == []
    assert [name for text in texts for name in leaks(text, short)] == []
    assert database_leaks(store) == {}
    assert database_leaks(short) == {}
    for message in messages:
        assert leaks(message.text, store) == []
    for answer in (plugin, update, refused_update, listed, alerts):
        assert leaks(str(answer), store) == []
        assert short_secret not in str(answer)


def test_the_search_finds_a_secret_where_it_is(store):
    """The searches above would see a leak: in the settings table, which holds
    the secrets, in any other table, in a record of a logger that does not
    propagate, and in a text holding one in any form."""
    channel = store_channel(store)
    notice = order_delay_notice(channel, "control")
    token = signing.dumps(["x"], salt=tokens.TOKEN_SALT)
    derived = store.derived_keys[f"signing key of {tokens.TOKEN_SALT}"]
    quiet = logging.getLogger("saleor_cs_plugin.tests.quiet")
    quiet.propagate = False

    with all_log_records() as records:
        quiet.debug("login with %s", store.smtp_password)
    Notice.objects.filter(pk=notice.pk).update(
        last_error=f"Webhook: HTTP 401 key {store.webhook_secret}"
    )

    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT count(*) FROM "{SETTINGS_TABLE}" AS row'  # noqa: S608
            " WHERE channel_id = %s AND strpos(row::text, %s) > 0"
            " AND strpos(row::text, %s) > 0",
            [channel.pk, store.smtp_password, store.webhook_secret],
        )
        assert cursor.fetchone() == (1,)
    assert database_leaks(store) == {Notice._meta.db_table: ["webhook secret"]}
    assert [leaks(text, store) for text in records.texts()] == [["SMTP password"]]
    assert leaks(f"login {store.smtp_password}!", store) == ["SMTP password"]
    assert leaks(derived.hex(), store) == [f"signing key of {tokens.TOKEN_SALT} (hex)"]
    assert leaks(token, store) == []


def _global_id(channel):
    return graphene.Node.to_global_id("Channel", channel.pk)
