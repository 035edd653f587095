"""The promise sweep as beat runs it: on real Celery workers on the local Redis, and
two sweeps racing on separate database connections."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction

from order_rows import drop_orders, open_orders, staff_notes
from peers import drop_channel, race, wait_for, webhook_channel
from saleor_cs_plugin import promises
from saleor_cs_plugin.domain.notices import NoticeType
from saleor_cs_plugin.models import DeliveryPromise, Notice

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


@pytest.fixture
def late_store(db_access, receiver):
    channel = webhook_channel(receiver.url, WEBHOOK_SECRET)
    yield channel
    drop_orders(channel)
    drop_channel(channel)


def test_two_workers_sweeping_at_once_tell_each_late_customer_once(
    late_store, receiver, broker, start_worker
):
    # given thirty orders whose ship-by day ended an hour ago, and two workers
    now = datetime.now(UTC)
    order_ids = open_orders(
        late_store, 30, ship_by_deadline=now - timedelta(hours=1), review_at=now
    )
    start_worker()
    start_worker()

    # when beat's promise sweep runs on both at once
    broker.send_task("saleor_cs_plugin.sweep_promises")
    broker.send_task("saleor_cs_plugin.sweep_promises")

    # then each customer hears once, through the signed webhook, and staff see two
    # notes per order: the notice queued, then sent
    wait_for(lambda: len(receiver.requests) >= 30, timeout=90)
    wait_for(
        lambda: Notice.objects.filter(channel=late_store, status="sent").count() == 30,
        timeout=60,
    )
    bodies = [request.json for request in receiver.requests]
    assert len(bodies) == 30
    assert all(request.is_signature_valid for request in receiver.requests)
    assert sorted(body["orderId"] for body in bodies) == sorted(map(str, order_ids))
    assert {body["type"] for body in bodies} == {NoticeType.ORDER_DELAY}
    assert {body["data"]["stage"] for body in bodies} == {"late"}
    assert len({body["idempotencyKey"] for body in bodies}) == 30
    notes = staff_notes(late_store)
    queued = "Delivery promise late: notice to the customer queued (webhook). "
    assert len(notes) == 60
    assert sum(note.startswith(queued) for note in notes) == 30
    sent = "Delivery promise late: notice sent to the customer by webhook."
    assert notes.count(sent) == 30
    assert set(
        DeliveryPromise.objects.filter(channel=late_store).values_list(
            "status", "notified_stage"
        )
    ) == {("late", "late")}


def test_two_sweeps_racing_on_their_own_connections_split_the_work(
    late_store, monkeypatch
):
    # given sixty late orders, and batches small enough for the sweeps to interleave
    now = datetime.now(UTC)
    open_orders(
        late_store, 60, ship_by_deadline=now - timedelta(hours=1), review_at=now
    )
    monkeypatch.setattr(promises, "SWEEP_BATCH", 7)

    # when
    results = race(lambda: promises.sweep(now), lambda: promises.sweep(now))

    # then every order was told once, by one sweep or the other
    assert len(results) == 2
    told = [notice.order_id for _, planned in results for notice in planned]
    assert len(told) == 60
    assert len(set(told)) == 60
    assert Notice.objects.filter(channel=late_store).count() == 60
    assert len(staff_notes(late_store)) == 60


def test_a_promise_another_transaction_holds_is_left_to_it_and_told_later(late_store):
    # given three late orders, the promise of the first held by another transaction
    # (another sweep writing it, or a fulfilment closing it)
    now = datetime.now(UTC)
    order_ids = open_orders(
        late_store, 3, ship_by_deadline=now - timedelta(hours=1), review_at=now
    )
    held_pk = DeliveryPromise.objects.get(order_id=order_ids[0]).pk
    is_held, is_let_go = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                DeliveryPromise.objects.select_for_update().get(pk=held_pk)
                is_held.set()
                is_let_go.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert is_held.wait(timeout=10)

    # when the sweep runs while it is held, and again once it is let go
    try:
        _, first = promises.sweep(now)
    finally:
        is_let_go.set()
        holder.join(timeout=30)
    _, second = promises.sweep(now)

    # then the sweep neither waited for it nor wrote it; the next one told it, once
    assert sorted(notice.order_id for notice in first) == sorted(order_ids[1:])
    assert [notice.order_id for notice in second] == [order_ids[0]]
    assert Notice.objects.filter(channel=late_store).count() == 3
    assert len(staff_notes(late_store)) == 3
    assert set(
        DeliveryPromise.objects.filter(channel=late_store).values_list(
            "status", "notified_stage"
        )
    ) == {("late", "late")}
