"""A real Celery worker process whose deliveries fail writes no secret to its log
(at DEBUG), to the broker's messages or to the rows it commits.

The notices are queued by the plugin's own code in this process onto a real Redis;
the worker delivers them to an SMTP server that refuses the login, a webhook
receiver that answers 500 then 401 (the retry waits on the broker), and a port
where nothing listens.
"""

import os
import time

import pytest
from django.db import connection

from peers import CeleryWorker, WebhookReceiver, drop_channel, wait_for
from saleor_cs_plugin import shortages, tasks
from saleor_cs_plugin.domain.notices import NoticeStatus
from saleor_cs_plugin.models import Notice
from saleor_cs_plugin.surveys import sweep, tokens
from security_support import (
    RefusingSmtpServer,
    StoreSecrets,
    broker_messages,
    closed_port,
    database_leaks,
    leaks,
    order_delay_notice,
    sending_to_redis,
    store_channel,
)
from test_notice_worker import (  # noqa: F401 - fixtures
    db_access,
    default_customer_type,
    default_tax_class,
    queue,
    site_settings,
)

BROKER_URL = os.environ.get("SALEOR_CS_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")

# Committed data, so the worker process sees it; the flush after each test empties
# only the plugin's tables (the test removes the channels it adds).
pytestmark = [
    pytest.mark.django_db(transaction=True, available_apps=["saleor_cs_plugin"]),
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS"),
]


@pytest.fixture
def worker(db_access, tmp_path, queue):
    settings = connection.settings_dict
    process = CeleryWorker(
        broker_url=BROKER_URL,
        database_url=(
            f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
            f"{settings['PORT'] or 5432}/{settings['NAME']}"
        ),
        log_path=tmp_path / "worker.log",
        queue=queue,
        log_level="DEBUG",
    )
    yield process
    process.stop()


def test_a_worker_whose_deliveries_fail_logs_and_sends_no_secret(
    db_access, settings, queue, worker
):
    # given: the worker's SECRET_KEY is the test settings' (the same module)
    store = StoreSecrets.new(
        settings.SECRET_KEY,
        signing_salts=(tokens.TOKEN_SALT, shortages.CHOICE_TOKEN_SALT),
        derived={"survey sampling salt": sweep.sample_salt()},
    )
    refusing_smtp = RefusingSmtpServer().start()
    webhook = WebhookReceiver(
        secret=store.webhook_secret, planned_statuses=[500, 401]
    ).start()
    channels = [
        store_channel(
            store,
            notice_transports="*=email",
            smtp_port=str(refusing_smtp.port),
        ),
        # the retry after the 500 waits 3 s or more, on the broker
        store_channel(
            store, webhook_url=webhook.url, max_attempts="3", retry_base_seconds="3"
        ),
        store_channel(
            store,
            webhook_url=f"http://127.0.0.1:{closed_port()}/notices",
            max_attempts="1",
        ),
    ]
    try:
        notices = [
            order_delay_notice(channel, f"worker-{n}")
            for n, channel in enumerate(channels)
        ]
        ids = [str(notice.pk) for notice in notices]
        with sending_to_redis(BROKER_URL, queue):
            tasks.schedule_delivery(ids)
        queued = broker_messages(BROKER_URL, queue)

        # when the worker delivers them
        worker.start()
        seen = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            seen += [
                m
                for m in broker_messages(BROKER_URL, queue)
                if m.task == "saleor_cs_plugin.deliver_notice"
            ]
            if Notice.objects.filter(status=NoticeStatus.FAILED).count() == 3:
                break
            time.sleep(0.05)
        wait_for(lambda: Notice.objects.filter(status=NoticeStatus.FAILED).count() == 3)
        worker.stop()
        log = worker.log_path.read_text()

        # then: each failed as made to
        assert list(
            Notice.objects.filter(pk__in=ids)
            .order_by("channel_id")
            .values_list("attempts", "last_error")
        ) == [
            (1, "SMTP: authentication failed (535)"),
            (2, "Webhook: HTTP 401 planned answer"),
            (1, "Webhook: ConnectionError"),
        ]
        assert [r.is_signature_valid for r in webhook.requests] == [True, True]
        # the broker carried the ids, and the retry its notice's id
        assert [(m.task, m.args, m.kwargs) for m in queued] == [
            ("saleor_cs_plugin.deliver_notices", [ids], {})
        ]
        assert {(m.task, tuple(m.args)) for m in seen} == {
            ("saleor_cs_plugin.deliver_notice", (ids[1],))
        }
        # the log is the worker's own, at DEBUG
        assert "Task saleor_cs_plugin.deliver_notices[" in log
        assert "DEBUG" in log
        assert f"Notice {ids[0]} failed: SMTP: authentication failed (535)" in log

        # and no secret, in any form, in the log, the messages or the rows
        assert leaks(log, store) == []
        for message in queued + seen:
            assert leaks(message.text, store) == []
        assert database_leaks(store) == {}
    finally:
        webhook.stop()
        refusing_smtp.stop()
        for channel in channels:
            drop_channel(channel)
