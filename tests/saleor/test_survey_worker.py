"""The survey sweep as beat runs it: two sweeps at once, on real Celery workers on the
local Redis and on separate database connections, ask each customer once."""

from datetime import UTC, datetime, timedelta

import pytest
from saleor.order.models import Order

from order_rows import drop_orders, open_orders
from peers import drop_channel, race, wait_for, webhook_channel
from saleor_cs_plugin.domain.notices import NoticeType
from saleor_cs_plugin.models import Notice, Survey
from saleor_cs_plugin.surveys import schedule, sweep

# The worker fixtures of the notice tests: a webhook receiver, a queue per run on the
# local Redis, workers started on demand, and committed data.
from test_notice_worker import (  # noqa: F401 - fixtures
    WEBHOOK_SECRET,
    broker,
    db_access,
    default_customer_type,
    default_tax_class,
    queue,
    receiver,
    site_settings,
    start_worker,
)

pytestmark = pytest.mark.django_db(
    transaction=True, available_apps=["saleor_cs_plugin"]
)

CUSTOMERS = 12


@pytest.fixture
def survey_store(db_access, receiver):
    channel = webhook_channel(
        receiver.url,
        WEBHOOK_SECRET,
        survey_completed_percent="100",
        survey_completed_days="7",
        survey_fatigue_days="30",
    )
    yield channel
    Survey.objects.filter(channel=channel).delete()
    drop_orders(channel)
    drop_channel(channel)


def _two_orders_per_customer_due(channel, now) -> list[str]:
    """Two shipped orders of each customer, both due an hour ago."""
    order_ids = open_orders(
        channel, 2 * CUSTOMERS, ship_by_deadline=now - timedelta(days=9), review_at=None
    )
    emails = [f"panel-{n % CUSTOMERS}@example.com" for n in range(2 * CUSTOMERS)]
    for order_id, email in zip(order_ids, emails, strict=True):
        Order.objects.filter(pk=order_id).update(user_email=email)
        schedule.schedule_completed(
            order_id, handled_at=now - timedelta(days=7, hours=1)
        )
    return sorted(set(emails))


def test_two_workers_sweeping_at_once_ask_each_customer_once(
    survey_store, receiver, broker, start_worker
):
    # given twelve customers with two orders each due, and two workers
    emails = _two_orders_per_customer_due(survey_store, datetime.now(UTC))
    start_worker()
    start_worker()

    # when beat's survey sweep runs on both at once
    broker.send_task("saleor_cs_plugin.sweep_surveys")
    broker.send_task("saleor_cs_plugin.sweep_surveys")

    # then each customer is asked once, through the signed webhook
    wait_for(
        lambda: Notice.objects.filter(channel=survey_store, status="sent").count()
        == CUSTOMERS,
        timeout=90,
    )
    wait_for(lambda: not Survey.objects.filter(status="scheduled").exists(), timeout=30)
    bodies = [request.json for request in receiver.requests]
    assert all(request.is_signature_valid for request in receiver.requests)
    assert sorted(body["recipient"]["email"] for body in bodies) == emails
    assert {body["type"] for body in bodies} == {NoticeType.SURVEY}
    assert {body["data"]["moment"] for body in bodies} == {"completed"}
    assert (
        sorted(Survey.objects.filter(status="sent").values_list("email", flat=True))
        == emails
    )
    assert (
        list(
            Survey.objects.filter(status="skipped").values_list(
                "skip_reason", flat=True
            )
        )
        == ["recently_asked"] * CUSTOMERS
    )
    assert Notice.objects.filter(notice_type=NoticeType.SURVEY).count() == CUSTOMERS


def test_two_sweeps_racing_on_their_own_connections_ask_each_customer_once(
    survey_store, monkeypatch
):
    # given batches small enough for the two sweeps to interleave
    now = datetime.now(UTC)
    emails = _two_orders_per_customer_due(survey_store, now)
    monkeypatch.setattr(sweep, "BATCH", 5)

    # when
    results = race(lambda: sweep.sweep(now), lambda: sweep.sweep(now))

    # then every survey was decided once, by one sweep or the other
    assert len(results) == 2
    decided = [d.survey_key for report in results for d in report.decisions]
    assert len(decided) == len(set(decided)) == 2 * CUSTOMERS
    asked = sorted(d.email for report in results for d in report.decisions if d.is_sent)
    assert asked == emails
    assert sum(len(report.notice_ids) for report in results) == CUSTOMERS
    assert Notice.objects.filter(channel=survey_store).count() == CUSTOMERS
