"""Who is asked, and when, in a real Saleor: surveys scheduled by orders that ship or
arrive and by problems the store handled, decided by the sweep (sample, fatigue,
cancelled orders, no e-mail), abandoned checkouts asked once, and the notice each
decision records."""

import email
import json
import re
from datetime import UTC, datetime, timedelta
from email import policy
from io import StringIO
from pathlib import Path

import graphene
import pytest
from django.core.management import call_command
from django.utils import timezone
from freezegun import freeze_time
from saleor.celeryconf import app as celery_app
from saleor.checkout.models import Checkout
from saleor.graphql.tests.utils import get_graphql_content
from saleor.order import OrderStatus
from saleor.order.models import Fulfillment, Order

from conftest import WEBHOOK_SECRET
from coupon_support import EMAIL as COUPON_EMAIL
from coupon_support import apply, checkout_of, make_voucher, promote
from order_rows import open_orders
from shortage_support import (
    run_sweep,
    set_stock,
    short_line,
    shortage_notices,
    shortage_settings,
)
from storefront import signed_in_now, start_checkout
from survey_sweep_support import (
    MONDAY,
    confirm_delivery,
    fulfill,
    open_store,
    place,
    survey_settings,
)
from saleor_cs_plugin import promises, tasks
from saleor_cs_plugin.apps import SWEEP_SURVEYS_BEAT_ENTRY
from saleor_cs_plugin.config import PLUGIN_ID
from saleor_cs_plugin.domain.notices import NoticeStatus, NoticeType, idempotency_key
from saleor_cs_plugin.domain.surveys import ProblemKind, SkipReason
from saleor_cs_plugin.models import (
    CouponHonor,
    Notice,
    NoticePreference,
    StockShortage,
    Survey,
    SweepMark,
)
from saleor_cs_plugin.surveys import schedule, sweep
from saleor_cs_plugin.surveys.tokens import verified_survey

pytestmark = pytest.mark.django_db

NOW = MONDAY


def _page(channel, token, answer=""):
    link = (
        f"https://example.com/plugins/channel/{channel.slug}/{PLUGIN_ID}/survey/"
        f"?token={token}"
    )
    return f"{link}&answer={answer}" if answer else link


def _survey_notices():
    return list(
        Notice.objects.filter(notice_type=NoticeType.SURVEY).order_by("created_at")
    )


@pytest.fixture
def shipped_order(
    channel_USD,
    shipping_method,
    product,
    warehouse,
    user_api_client,
    staff_in_group,
    permission_manage_orders,
):
    """An order placed through the storefront on Monday and shipped in full through
    the Dashboard's API on Tuesday 10:00."""
    open_store(channel_USD, shipping_method)

    def ship(email="shopper@example.com"):
        with freeze_time(MONDAY):
            place(user_api_client, product, shipping_method, channel_USD, email=email)
        order = Order.objects.get(user_email=email)
        with freeze_time(MONDAY + timedelta(days=1, hours=1)):
            fulfill(staff_in_group(permission_manage_orders), order, 2, warehouse)
        return order

    return ship


# Completed orders --------------------------------------------------------------------


def test_an_order_whose_last_fulfilment_ships_is_asked_days_later_by_email(
    plugin_configuration, channel_USD, shipped_order, smtp_receiver, customer_user
):
    # given
    plugin_configuration(**survey_settings(smtp_receiver, survey_completed_days="7"))

    # when the order ships (Tuesday 10:00)
    order = shipped_order()

    # then its survey waits for the next Tuesday
    shipped_at = MONDAY + timedelta(days=1, hours=1)
    survey = Survey.objects.get()
    assert (survey.survey_key, survey.moment, survey.status, survey.due_at) == (
        f"completed:{order.pk}",
        "completed",
        "scheduled",
        shipped_at + timedelta(days=7),
    )
    assert (survey.order_id, survey.user_id, survey.email) == (
        order.pk,
        customer_user.pk,
        "shopper@example.com",
    )

    # when the sweep runs a second before, then at the moment
    early = sweep.sweep(survey.due_at - timedelta(seconds=1))
    due = survey.due_at
    report = sweep.sweep(due)

    # then the customer is asked once, with one survey notice
    assert (early.sent, early.decisions, early.notice_ids) == (0, [], [])
    assert (report.sent, report.skipped) == (1, {})
    survey.refresh_from_db()
    (notice,) = _survey_notices()
    assert report.notice_ids == [notice.pk]
    assert (survey.status, survey.sent_at, survey.due_at, survey.language) == (
        "sent",
        due,
        None,
        "en",
    )
    assert survey.closes_at == due + timedelta(days=14)
    # A token is signed with the time it was made: compare what it opens.
    token = notice.context["data"]["token"]
    assert verified_survey(token) == survey
    assert notice.idempotency_key == idempotency_key(NoticeType.SURVEY, survey.pk)
    assert (notice.recipient_email, notice.order_id, notice.user_id) == (
        "shopper@example.com",
        order.pk,
        customer_user.pk,
    )
    assert (notice.is_essential, notice.status, notice.transport) == (
        False,
        NoticeStatus.PENDING,
        "email",
    )
    yes, no = _page(channel_USD, token, "yes"), _page(channel_USD, token, "no")
    message = (
        f"Thank you for your order #{order.number}. We would like to know how it "
        "went: it takes one click.\n\n"
        "Were you satisfied with how the entire process was handled?\n\n"
        f"Yes: {yes}\nNo: {no}\n\n"
        "The link opens the survey with your answer chosen; it is recorded once you "
        "send it there. You can change your answers until March 24, 2026."
    )
    assert notice.context == {
        "subject": f"How was your order #{order.number}?",
        "message": message,
        "language": "en",
        "action_url": _page(channel_USD, token),
        "customer_name": customer_user.first_name,
        "order_number": str(order.number),
        "data": {
            "surveyId": graphene.Node.to_global_id("ServiceSurvey", survey.pk),
            "moment": "completed",
            "problem": None,
            "question": "satisfied",
            "questionText": "Were you satisfied with how the entire process was handled?",
            "token": token,
            "answerUrls": {"yes": yes, "no": no},
            "closesAt": (due + timedelta(days=14)).isoformat(),
        },
    }

    # when the notice is delivered
    assert tasks.deliver_notice(notice.pk) == "sent"

    # then the e-mail's HTML part carries the one-click answers as links
    (received,) = smtp_receiver.messages
    sent = email.message_from_bytes(received["data"], policy=policy.default)
    assert sent["Subject"] == f"How was your order #{order.number}?"
    html = sent.get_body(("html",)).get_content()
    escaped_yes = yes.replace("&", "&amp;")
    escaped_no = no.replace("&", "&amp;")
    assert f'Yes: <a href="{escaped_yes}">{escaped_yes}</a><br>' in html
    assert f'No: <a href="{escaped_no}">{escaped_no}</a></p>' in html
    text = sent.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text == (
        f"Hello {customer_user.first_name},\n\n{message}\n\nReply to this e-mail.\n"
    )

    # when the sweep runs again, then nobody is asked twice
    again = sweep.sweep(due + timedelta(days=1))
    assert (again.sent, again.decisions, again.notice_ids) == (0, [], [])
    assert len(_survey_notices()) == 1


def test_a_confirmed_delivery_moves_the_day_of_the_survey(
    plugin_configuration, shipped_order, staff_in_group, permission_manage_orders
):
    # given an order shipped on Tuesday
    plugin_configuration(**survey_settings(survey_completed_days="3"))
    order = shipped_order()

    # when its delivery is confirmed for Thursday 15:00
    delivered_at = datetime(2026, 3, 5, 15, tzinfo=UTC)
    with freeze_time(datetime(2026, 3, 6, tzinfo=UTC)):
        confirm_delivery(staff_in_group(permission_manage_orders), order, delivered_at)

    # then it is asked 3 days after the delivery, not the shipment
    survey = Survey.objects.get()
    assert (survey.survey_key, survey.due_at) == (
        f"completed:{order.pk}",
        delivered_at + timedelta(days=3),
    )


def test_an_order_shipped_in_part_is_not_asked_yet(
    plugin_configuration,
    channel_USD,
    shipping_method,
    product,
    warehouse,
    user_api_client,
    staff_in_group,
    permission_manage_orders,
):
    plugin_configuration(**survey_settings())
    open_store(channel_USD, shipping_method)
    with freeze_time(MONDAY):
        place(user_api_client, product, shipping_method, channel_USD)
    order = Order.objects.get()
    staff = staff_in_group(permission_manage_orders)

    with freeze_time(MONDAY + timedelta(hours=2)):
        fulfill(staff, order, 1, warehouse)
    assert Survey.objects.count() == 0

    with freeze_time(MONDAY + timedelta(hours=3)):
        fulfill(staff, order, 1, warehouse)
    assert Survey.objects.get().due_at == MONDAY + timedelta(hours=3, days=7)


def test_an_order_without_a_delivery_promise_is_asked_after_shipping(
    plugin_configuration,
    channel_USD,
    shipping_method,
    product,
    warehouse,
    user_api_client,
    staff_in_group,
    permission_manage_orders,
):
    # given a shipping method without delivery days: no promise is recorded
    plugin_configuration(**survey_settings(survey_completed_days="2"))
    open_store(channel_USD, shipping_method)
    shipping_method.minimum_delivery_days = None
    shipping_method.maximum_delivery_days = None
    shipping_method.save()
    with freeze_time(MONDAY):
        place(user_api_client, product, shipping_method, channel_USD)
    order = Order.objects.get()
    assert not promises.DeliveryPromise.objects.exists()

    # when
    with freeze_time(MONDAY + timedelta(hours=5)):
        fulfill(staff_in_group(permission_manage_orders), order, 2, warehouse)

    # then
    survey = Survey.objects.get()
    assert (survey.survey_key, survey.due_at) == (
        f"completed:{order.pk}",
        MONDAY + timedelta(hours=5, days=2),
    )


ORDER_FULFILLMENT_CANCEL = """
mutation ($id: ID!, $warehouse: ID) {
  orderFulfillmentCancel(id: $id, input: {warehouseId: $warehouse}) {
    errors { field code message }
  }
}
"""

ORDER_CANCEL = """
mutation ($id: ID!) { orderCancel(id: $id) { errors { field code message } } }
"""


def test_an_order_cancelled_before_its_survey_is_skipped(
    plugin_configuration,
    shipped_order,
    warehouse,
    staff_in_group,
    permission_manage_orders,
):
    # given a shipped order whose fulfilment, then the order, staff cancel
    plugin_configuration(**survey_settings())
    order = shipped_order()
    staff = signed_in_now(staff_in_group(permission_manage_orders))
    fulfillment = Fulfillment.objects.get(order=order)
    for query, variables in [
        (
            ORDER_FULFILLMENT_CANCEL,
            {
                "id": graphene.Node.to_global_id("Fulfillment", fulfillment.pk),
                "warehouse": graphene.Node.to_global_id("Warehouse", warehouse.pk),
            },
        ),
        (ORDER_CANCEL, {"id": graphene.Node.to_global_id("Order", order.pk)}),
    ]:
        content = get_graphql_content(staff.post_graphql(query, variables))
        assert next(iter(content["data"].values()))["errors"] == []
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELED

    # when
    survey = Survey.objects.get()
    report = sweep.sweep(survey.due_at)

    # then
    survey.refresh_from_db()
    assert (survey.status, survey.skip_reason, survey.due_at) == (
        "skipped",
        SkipReason.ORDER_CANCELLED,
        None,
    )
    assert report.skipped == {"order_cancelled": 1}
    assert _survey_notices() == []


def test_an_order_without_an_email_is_skipped(plugin_configuration, channel_USD):
    # given an order nobody can be asked about (no e-mail, no account)
    plugin_configuration(**survey_settings())
    (order_id,) = open_orders(
        channel_USD, 1, ship_by_deadline=NOW, review_at=None, email_prefix="x"
    )
    Order.objects.filter(pk=order_id).update(user_email="")
    schedule.schedule_completed(order_id, handled_at=NOW)

    # when
    report = sweep.sweep(NOW + timedelta(days=7))

    # then
    survey = Survey.objects.get()
    assert (survey.status, survey.skip_reason) == ("skipped", SkipReason.NO_EMAIL)
    assert [d.line() for d in report.decisions] == [
        f"skip (no_email): completed:{order_id} (no e-mail) order "
        f"#{Order.objects.get().number} [{channel_USD.slug}]"
    ]
    assert _survey_notices() == []


def test_nothing_is_scheduled_when_the_moment_is_off(
    plugin_configuration, shipped_order, channel_USD
):
    plugin_configuration(**survey_settings(survey_completed_percent="0"))

    shipped_order()
    schedule.schedule_after_problem(
        kind=ProblemKind.COUPON,
        ref="honor-1",
        email="shopper@example.com",
        channel_id=channel_USD.pk,
        handled_at=NOW,
    )

    assert list(Survey.objects.values_list("survey_key", flat=True)) == [
        "after_problem:coupon:honor-1"
    ]


# Sampling, fatigue, opt-out ----------------------------------------------------------


def _scheduled(channel, emails, *, moment_days=0):
    order_ids = open_orders(channel, len(emails), ship_by_deadline=NOW, review_at=None)
    for order_id, address in zip(order_ids, emails, strict=True):
        Order.objects.filter(pk=order_id).update(user_email=address)
        schedule.schedule_completed(order_id, handled_at=NOW)
    return order_ids


def test_the_sample_is_the_same_customers_in_every_run(
    plugin_configuration, channel_USD
):
    # given 40 customers due, half of them sampled
    plugin_configuration(**survey_settings(survey_completed_percent="50"))
    emails = [f"panel-{n}@example.com" for n in range(40)]
    _scheduled(channel_USD, emails)
    due = NOW + timedelta(days=7)

    # when: two dry runs, then the sweep itself
    first = sweep.sweep(due, dry_run=True)
    second = sweep.sweep(due, dry_run=True)
    report = sweep.sweep(due)

    # then every run asks the same customers, and only those are sent a survey
    def asked(run):
        return sorted(d.email for d in run.decisions if d.is_sent)

    assert asked(first) == asked(second) == asked(report)
    assert 0 < len(asked(report)) < 40
    assert report.skipped == {"not_sampled": 40 - len(asked(report))}
    assert sorted(n.recipient_email for n in _survey_notices()) == asked(report)
    assert sorted(
        Survey.objects.filter(status="sent").values_list("email", flat=True)
    ) == asked(report)


def test_a_customer_asked_recently_is_not_asked_again(
    plugin_configuration, channel_USD
):
    # given a customer asked 10 days ago, with at most one survey in 30 days
    plugin_configuration(**survey_settings(survey_fatigue_days="30"))
    _scheduled(channel_USD, ["again@example.com"])
    sweep.sweep(NOW + timedelta(days=7))

    # when two more of their orders are due: 10 days later, then 31 days later
    schedule.schedule_after_problem(
        kind=ProblemKind.CONTACT,
        ref="entry-1",
        email="again@example.com",
        channel_id=channel_USD.pk,
        handled_at=NOW + timedelta(days=15),
    )
    recently = sweep.sweep(NOW + timedelta(days=17))
    schedule.schedule_after_problem(
        kind=ProblemKind.CONTACT,
        ref="entry-2",
        email="again@example.com",
        channel_id=channel_USD.pk,
        handled_at=NOW + timedelta(days=36),
    )
    later = sweep.sweep(NOW + timedelta(days=38))

    # then
    assert recently.skipped == {"recently_asked": 1}
    assert (later.sent, later.skipped) == (1, {})
    assert [
        (s.survey_key, s.status, s.skip_reason)
        for s in Survey.objects.order_by("created_at")
    ] == [
        (f"completed:{Order.objects.get().pk}", "sent", ""),
        ("after_problem:contact:entry-1", "skipped", "recently_asked"),
        ("after_problem:contact:entry-2", "sent", ""),
    ]


def test_two_surveys_of_one_customer_due_together_ask_once(
    plugin_configuration, channel_USD
):
    plugin_configuration(**survey_settings(survey_fatigue_days="30"))
    _scheduled(channel_USD, ["twice@example.com", "twice@example.com"])

    report = sweep.sweep(NOW + timedelta(days=7))

    assert (report.sent, report.skipped) == (1, {"recently_asked": 1})
    assert len(_survey_notices()) == 1


def test_an_opted_out_customer_is_not_sent_the_survey(
    plugin_configuration, channel_USD, smtp_receiver
):
    # given a customer who opted out of non-essential notices
    plugin_configuration(**survey_settings(smtp_receiver))
    NoticePreference.objects.create(
        email="quiet@example.com", is_opted_out_of_non_essential=True
    )
    _scheduled(channel_USD, ["quiet@example.com"])

    # when the survey is decided and its notice delivered
    report = sweep.sweep(NOW + timedelta(days=7))
    (notice_id,) = report.notice_ids
    outcome = tasks.deliver_notice(notice_id)

    # then the notice engine skips it: nothing reaches the mail server
    assert outcome == "skipped"
    notice = Notice.objects.get(pk=notice_id)
    assert (notice.status, notice.last_error) == (
        NoticeStatus.SKIPPED,
        "The customer opted out of non-essential notices.",
    )
    assert smtp_receiver.messages == []


# After a problem -----------------------------------------------------------------------


def test_a_late_order_the_customer_was_told_of_is_asked_about_the_delay(
    plugin_configuration,
    channel_USD,
    shipping_method,
    product,
    warehouse,
    user_api_client,
    staff_in_group,
    permission_manage_orders,
    customer_user,
):
    # given an order told late on Wednesday night
    plugin_configuration(
        **survey_settings(survey_after_problem_days="2", survey_completed_percent="0"),
        promise_handling_days="1",
        promise_cutoff_hour="14",
    )
    open_store(channel_USD, shipping_method)
    with freeze_time(MONDAY):
        place(user_api_client, product, shipping_method, channel_USD)
    order = Order.objects.get()
    promises.sweep(datetime(2026, 3, 4, 1, tzinfo=UTC))
    promise = promises.DeliveryPromise.objects.get()
    assert promise.notified_stage == "late"
    assert Survey.objects.count() == 0

    # when it ships on Thursday 10:00
    shipped_at = datetime(2026, 3, 5, 10, tzinfo=UTC)
    with freeze_time(shipped_at):
        fulfill(staff_in_group(permission_manage_orders), order, 2, warehouse)

    # then the customer is asked two days later whether the delay was handled well
    survey = Survey.objects.get()
    assert (survey.survey_key, survey.problem_kind, survey.problem_ref) == (
        f"after_problem:delay:{promise.pk}",
        "delay",
        str(promise.pk),
    )
    assert survey.due_at == shipped_at + timedelta(days=2)
    report = sweep.sweep(survey.due_at)
    assert report.sent == 1
    (notice,) = _survey_notices()
    survey.refresh_from_db()
    token = notice.context["data"]["token"]
    assert verified_survey(token) == survey
    yes, no = _page(channel_USD, token, "yes"), _page(channel_USD, token, "no")
    assert notice.context["subject"] == (
        f"How did we handle the delay of order #{order.number}?"
    )
    assert notice.context["message"] == (
        f"Your order #{order.number} was late, and we kept you informed. We would "
        "like to know whether we handled it well: it takes one click.\n\n"
        f"Did we handle the delay of order #{order.number} the way you wanted?\n\n"
        f"Yes: {yes}\nNo: {no}\n\n"
        "The link opens the survey with your answer chosen; it is recorded once you "
        "send it there. You can change your answers until March 21, 2026."
    )
    assert (notice.context["data"]["moment"], notice.context["data"]["problem"]) == (
        "after_problem",
        "delay",
    )
    assert notice.context["data"]["question"] == "handled_as_wanted"


def test_an_order_shipped_on_time_is_no_problem_to_ask_about(
    plugin_configuration, shipped_order
):
    plugin_configuration(**survey_settings(survey_completed_percent="0"))

    shipped_order()

    assert Survey.objects.count() == 0


CHOOSE = """
mutation ($token: String!, $choice: ServiceStockShortageChoiceEnum!) {
  serviceStockShortageChoose(token: $token, choice: $choice) {
    errors { field code message }
  }
}
"""


def test_a_customer_who_answered_a_shortage_is_asked_how_it_was_handled(
    plugin_configuration, order_with_lines, api_client, customer_user
):
    # given a short item whose notice the customer answered (on Saleor's fixture
    # order of customer_user)
    plugin_configuration(
        **shortage_settings(**survey_settings(survey_after_problem_days="2"))
    )
    line = short_line(order_with_lines)
    set_stock(line, 0)
    run_sweep()
    (shortage_notice,) = shortage_notices()
    answered = datetime(2026, 3, 3, 12, tzinfo=UTC)

    # when
    with freeze_time(answered):
        content = get_graphql_content(
            api_client.post_graphql(
                CHOOSE,
                {
                    "token": shortage_notice.context["data"]["choiceToken"],
                    "choice": "WAIT",
                },
            )
        )
    assert content["data"]["serviceStockShortageChoose"]["errors"] == []

    # then
    shortage = StockShortage.objects.get()
    survey = Survey.objects.get()
    assert (
        survey.survey_key,
        survey.problem_kind,
        survey.problem_ref,
        survey.order_id,
        survey.email,
        survey.due_at,
    ) == (
        f"after_problem:stock_shortage:{shortage.pk}",
        "stock_shortage",
        str(shortage.pk),
        order_with_lines.pk,
        customer_user.email,
        answered + timedelta(days=2),
    )
    report = sweep.sweep(survey.due_at)
    assert report.sent == 1
    (notice,) = _survey_notices()
    assert notice.context["subject"] == (
        f"How did we handle the missing item of order #{order_with_lines.number}?"
    )


def test_stock_that_came_back_schedules_the_same_survey_once(
    plugin_configuration, order_with_lines
):
    plugin_configuration(**shortage_settings(**survey_settings()))
    line = short_line(order_with_lines)
    set_stock(line, 1)
    run_sweep()

    set_stock(line, 2)
    run_sweep()
    run_sweep()

    shortage = StockShortage.objects.get()
    assert list(Survey.objects.values_list("survey_key", "status")) == [
        (f"after_problem:stock_shortage:{shortage.pk}", "scheduled")
    ]


def test_a_shopper_whose_ended_code_was_honored_is_asked_about_it(
    plugin_configuration, api_client, channel_USD, product
):
    # given a promoted code that ended three hours ago
    channel_USD.allow_unpaid_orders = True
    channel_USD.save()
    plugin_configuration(**survey_settings(coupon_grace_hours="48"))
    make_voucher(
        channel_USD, "BIRTHDAY30", end_date=timezone.now() - timedelta(hours=3)
    )
    promote("BIRTHDAY30", channel_USD)

    # when the shopper applies it and it is honored
    before = timezone.now()
    result = apply(
        api_client, checkout_of(api_client, channel_USD, product), "BIRTHDAY30"
    )

    # then
    assert result["honored"] is not None
    honor = CouponHonor.objects.get()
    survey = Survey.objects.get()
    assert (survey.survey_key, survey.problem_kind, survey.email, survey.order_id) == (
        f"after_problem:coupon:{honor.pk}",
        "coupon",
        COUPON_EMAIL,
        None,
    )
    assert (
        before + timedelta(days=2)
        <= survey.due_at
        <= timezone.now() + timedelta(days=2)
    )
    report = sweep.sweep(survey.due_at)
    (notice,) = _survey_notices()
    assert report.notice_ids == [notice.pk]
    assert notice.context["subject"] == "How did we handle your promo code?"
    assert notice.context["order_number"] == ""


# Abandoned checkouts --------------------------------------------------------------------


def test_an_abandoned_checkout_is_asked_once(
    plugin_configuration,
    channel_USD,
    shipping_method,
    product,
    user_api_client,
    api_client,
):
    # given: on Monday a shopper leaves a checkout; another shopper leaves one and
    # places an order with the same e-mail later that day
    plugin_configuration(**survey_settings(survey_abandoned_hours="24"))
    open_store(channel_USD, shipping_method)
    variant = product.variants.get()
    with freeze_time(MONDAY):
        start_checkout(
            api_client,
            channel=channel_USD,
            lines=[(variant, 1)],
            email="Left@Example.com",
        )
        start_checkout(
            api_client,
            channel=channel_USD,
            lines=[(variant, 1)],
            email="buyer@example.com",
        )
    with freeze_time(MONDAY + timedelta(hours=3)):
        place(
            api_client,
            product,
            shipping_method,
            channel_USD,
            quantity=1,
            email="buyer@example.com",
        )
    left = Checkout.objects.get(email="Left@Example.com")

    # when the sweep runs on Tuesday, an hour after they were untouched for 24 hours
    tuesday = MONDAY + timedelta(days=1, hours=1)
    report = sweep.sweep(tuesday)

    # then the first shopper is asked, the second is not
    assert (report.sent, report.skipped) == (1, {"ordered_since": 1})
    survey = Survey.objects.get(status="sent")
    assert (survey.survey_key, survey.moment, survey.checkout_token, survey.email) == (
        f"abandoned:{left.pk}",
        "abandoned",
        left.pk,
        "left@example.com",
    )
    assert survey.closes_at == tuesday + timedelta(days=14)
    (notice,) = _survey_notices()
    token = notice.context["data"]["token"]
    assert verified_survey(token) == survey
    link = _page(channel_USD, token)
    assert notice.context["subject"] == "Why did you not complete your order?"
    assert notice.context["message"] == (
        "You recently left items in your cart without placing an order. Telling us "
        "why helps us do better: it takes one click.\n\n"
        "If you did not complete an order, why not?\n\n"
        f"Answer here: {link}\n\n"
        "You can change your answers until March 17, 2026."
    )
    assert notice.context["action_url"] == link
    assert notice.context["data"]["answerUrls"] is None
    assert (notice.order_id, notice.recipient_email) == (None, "left@example.com")
    assert Survey.objects.get(status="skipped").skip_reason == "ordered_since"
    assert SweepMark.objects.get(name="abandoned_checkouts").swept_until == tuesday

    # when the shopper comes back to the checkout and leaves it again
    with freeze_time(tuesday + timedelta(hours=2)):
        left.save(update_fields=["last_change"])
    again = sweep.sweep(tuesday + timedelta(days=2))

    # then they are not asked about it again
    assert (again.sent, again.decisions) == (0, [])
    assert len(_survey_notices()) == 1


def test_a_checkout_changed_within_the_hours_waits(
    plugin_configuration, channel_USD, product, api_client
):
    plugin_configuration(**survey_settings(survey_abandoned_hours="24"))
    with freeze_time(MONDAY):
        start_checkout(
            api_client, channel=channel_USD, lines=[(product.variants.get(), 1)]
        )

    report = sweep.sweep(MONDAY + timedelta(hours=23))

    assert (report.sent, report.decisions) == (0, [])
    assert Survey.objects.count() == 0


# Dry run, command, beat ----------------------------------------------------------------


def test_a_dry_run_says_who_would_be_asked_and_writes_nothing(
    plugin_configuration, channel_USD, product, api_client
):
    # given one survey due and one abandoned checkout
    plugin_configuration(**survey_settings())
    (order_id,) = _scheduled(channel_USD, ["due@example.com"])
    with freeze_time(NOW + timedelta(days=5, hours=12)):
        start_checkout(
            api_client,
            channel=channel_USD,
            lines=[(product.variants.get(), 1)],
            email="gone@example.com",
        )
    token = Checkout.objects.get().pk
    number = Order.objects.get().number
    before = list(Survey.objects.values_list("id", "status", "due_at", "link_nonce"))

    # when
    with freeze_time(NOW + timedelta(days=7)):
        output = StringIO()
        call_command("cs_surveys", "--dry-run", stdout=output)

    # then
    assert output.getvalue() == (
        "Would ask 2 customer(s); would skip 0.\n"
        f"  ask: completed:{order_id} due@example.com order #{number} "
        f"[{channel_USD.slug}]\n"
        f"  ask: abandoned:{token} gone@example.com [{channel_USD.slug}]\n"
    )
    assert (
        list(Survey.objects.values_list("id", "status", "due_at", "link_nonce"))
        == before
    )
    assert _survey_notices() == []
    assert not SweepMark.objects.exists()

    # when run for real
    with freeze_time(NOW + timedelta(days=7)):
        output = StringIO()
        call_command("cs_surveys", stdout=output)

    # then the same customers are asked
    assert output.getvalue().splitlines()[0] == "Asked 2 customer(s); skipped 0."
    assert sorted(n.recipient_email for n in _survey_notices()) == [
        "due@example.com",
        "gone@example.com",
    ]


def test_the_survey_tasks_are_registered_with_celery_beat():
    # Old comments are erased by the daily retention purge (test_retention.py).
    sweep_entry = celery_app.conf.beat_schedule[SWEEP_SURVEYS_BEAT_ENTRY]
    assert sweep_entry["task"] == "saleor_cs_plugin.sweep_surveys"
    assert sweep_entry["schedule"].total_seconds() == 15 * 60
    assert "saleor_cs_plugin.sweep_surveys" in celery_app.tasks
    # Messages an older beat queued still find the comments' own task.
    assert "saleor_cs_plugin.erase_survey_comments" in celery_app.tasks
    assert not [
        entry
        for entry in celery_app.conf.beat_schedule.values()
        if entry["task"] == "saleor_cs_plugin.erase_survey_comments"
    ]


def _fields(value, path=""):
    if isinstance(value, dict):
        return {
            name
            for key, item in value.items()
            for name in {f"{path}{key}"} | _fields(item, f"{path}{key}.")
        }
    return set()


def test_the_documented_payload_is_the_one_sent(
    plugin_configuration, channel_USD, webhook_receiver
):
    # given the payload docs/surveys.md shows
    text = (Path(__file__).parents[2] / "docs" / "surveys.md").read_text()
    (block,) = [
        b
        for b in re.findall(r"```json\n(.*?)```", text, re.S)
        if '"idempotencyKey"' in b
    ]
    documented = json.loads(block)
    plugin_configuration(
        **survey_settings(
            notice_transports="*=webhook",
            webhook_url=webhook_receiver.url,
            webhook_secret=WEBHOOK_SECRET,
        )
    )
    _scheduled(channel_USD, ["ann@example.com"])

    # when a completed order's survey is sent by webhook
    (notice_id,) = sweep.sweep(NOW + timedelta(days=7)).notice_ids
    assert tasks.deliver_notice(notice_id) == "sent"

    # then the receiver got the documented fields, no more and no fewer
    (received,) = webhook_receiver.requests
    sent = received.json
    assert sorted(_fields(sent)) == sorted(_fields(documented))
    assert (sent["type"], sent["isEssential"], sent["data"]["moment"]) == (
        "survey",
        False,
        "completed",
    )
    assert sent["subject"] == documented["subject"].replace(
        "1042", str(Order.objects.get().number)
    )


def test_checkouts_left_at_the_same_moment_are_each_asked_once_across_batches(
    plugin_configuration, channel_USD, product, api_client, monkeypatch
):
    # given five checkouts last changed in the same second, read two at a time
    plugin_configuration(**survey_settings(survey_abandoned_hours="24"))
    monkeypatch.setattr(sweep, "BATCH", 2)
    emails = [f"tie-{n}@example.com" for n in range(5)]
    with freeze_time(MONDAY):
        for address in emails:
            start_checkout(
                api_client,
                channel=channel_USD,
                lines=[(product.variants.get(), 1)],
                email=address,
            )

    # when
    dry_run = sweep.sweep_abandoned(MONDAY + timedelta(hours=25), dry_run=True)
    report = sweep.sweep_abandoned(MONDAY + timedelta(hours=25))

    # then
    assert sorted(d.email for d in dry_run.decisions if d.is_sent) == emails
    assert sorted(d.email for d in report.decisions if d.is_sent) == emails
    assert sorted(n.recipient_email for n in _survey_notices()) == emails
