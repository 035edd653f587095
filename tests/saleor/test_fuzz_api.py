"""Every argument of every field the plugin adds, fuzzed through Saleor's /graphql/.

The fields are found in Saleor's built schema (``fuzz_support.plugin_targets``), so
a new field or argument is fuzzed without editing this file. Each call is made as
anonymous, a customer and a superuser (who reaches the deepest code), with real IDs
of every kind mixed with wrong ones and hostile strings. For every answer: no
internal server error, no traceback or Python repr, and every rejection names the
argument or input field it rejects.
"""

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st
from saleor.graphql.api import schema

from fuzz_support import (
    HOSTILE_TEXTS,
    MOUNT_PATHS,
    UNHANDLED_LOGGER,
    Known,
    argument_values,
    assert_sound,
    global_id,
    operation,
    plugin_targets,
    text_in_slot,
    text_slots,
)
from saleor_cs_plugin import fetch, outbox, staff_alerts
from saleor_cs_plugin.domain.alerts import AlertKind
from saleor_cs_plugin.domain.notices import NoticeType, idempotency_key
from saleor_cs_plugin.domain.surveys import Moment
from saleor_cs_plugin.graphql.schema import MOUNTED_FIELDS
from survey_support import sent_survey, token_of

TARGETS = plugin_targets(schema)
CALLERS = ("api_client", "user_api_client", "superuser_api_client")


@pytest.fixture
def store(
    plugin_configuration,
    channel_USD,
    customer_user,
    order_with_lines,
    checkout_with_item,
    product,
    voucher,
):
    """A store with one of everything the plugin's arguments name."""
    from django.utils import timezone  # noqa: PLC0415

    plugin_configuration(quiet_hours="")
    order_with_lines.user = customer_user
    order_with_lines.user_email = customer_user.email
    order_with_lines.save(update_fields=["user", "user_email"])
    notice, _ = outbox.enqueue_notice(
        notice_type=NoticeType.ORDER_DELAY,
        idempotency_key=idempotency_key(
            NoticeType.ORDER_DELAY, customer_user.email, "f"
        ),
        notice_settings=fetch.channel_settings(channel_USD.pk).notices,
        recipient_email=customer_user.email,
        context={"subject": "Late"},
        channel=channel_USD,
    )
    alert = staff_alerts.raise_alert(
        kind=AlertKind.NOTICE_DELIVERY,
        cause_key="fuzz",
        title="Fuzz",
        message="Fuzz",
        now=timezone.now(),
        channel_id=channel_USD.pk,
    )
    survey = sent_survey(moment=Moment.COMPLETED, order=order_with_lines)
    ids = [
        global_id("Order", order_with_lines.pk),
        global_id("Checkout", checkout_with_item.token),
        global_id("Product", product.pk),
        global_id("ProductVariant", product.variants.first().pk),
        global_id("User", customer_user.pk),
        global_id("Channel", channel_USD.pk),
        global_id("Voucher", voucher.pk),
        global_id("ServiceNotice", notice.pk),
        global_id("ServiceStaffAlert", alert.alert_id),
        global_id("ServiceSurvey", survey.pk),
    ]
    order_id, checkout_id, _, variant_id, user_id = ids[:5]
    known = Known(
        ids=ids,
        texts={
            "token": [token_of(survey)],
            "code": [voucher.code],
            "channel": [channel_USD.slug],
            "channels": [channel_USD.slug],
            "customerEmail": [customer_user.email],
            "order": [order_id],
            "customer": [user_id],
            "survey": [ids[9]],
            "alternative": [variant_id],
            "serviceCouponCheck.id": [checkout_id],
            "serviceCouponApply.id": [checkout_id],
            "serviceNoticeRetry.id": [ids[7]],
            "serviceStaffAlertResolve.id": [ids[8]],
        },
        plain={
            "String": "fuzz",
            "DateTime": timezone.now().isoformat(),
            "Date": timezone.now().date().isoformat(),
            "ID": order_id,
        },
    )
    mounts = {
        "mountOrderId": global_id("Order", order_with_lines.pk),
        "mountCheckoutId": global_id("Checkout", checkout_with_item.token),
    }
    return known, mounts


def _call(client, target, arguments, mounts, caplog):
    query, mount_variables = operation(target)
    variables = {f"a_{name}": value for name, value in arguments.items()}
    variables.update({name: mounts[name] for name in mount_variables})
    caplog.clear()
    response = client.post_graphql(query, variables)
    unhandled = [r for r in caplog.records if r.name == UNHANDLED_LOGGER]
    names = list(target.arguments) + [f"$a_{name}" for name in target.arguments]
    return assert_sound(
        response,
        where=f"{target.label} {arguments!r:.300}",
        argument_names=names,
        unhandled_records=unhandled,
    )


def test_every_field_the_plugin_mounts_is_fuzzed():
    labels = {target.label for target in TARGETS}

    assert {f"{type_name}.{name}" for type_name, name in MOUNTED_FIELDS} <= labels
    # A field mounted on another of Saleor's types needs a way to reach it.
    assert {t.parent for t in TARGETS} <= {"Query", "Mutation", *MOUNT_PATHS}
    assert sum(len(t.arguments) for t in TARGETS) >= 40


@pytest.mark.parametrize("target", TARGETS, ids=lambda target: target.label)
def test_hostile_text_in_every_argument(target, store, request, caplog):
    # given
    caplog.set_level(logging.ERROR, logger=UNHANDLED_LOGGER)
    known, mounts = store
    clients = [request.getfixturevalue(name) for name in CALLERS[1:]]

    failures = []
    for kind, text in HOSTILE_TEXTS.items():
        for slot in text_slots(target):
            arguments = text_in_slot(target, slot, text, known)
            for client in clients:
                # when
                try:
                    _call(client, target, arguments, mounts, caplog)
                except AssertionError as failure:
                    failures.append(f"FUZZ {kind} in {slot}: {str(failure)[-300:]}")

    # then
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("target", TARGETS, ids=lambda target: target.label)
@given(data=st.data())
def test_fuzzed_arguments(target, store, request, caplog, data):
    caplog.set_level(logging.ERROR, logger=UNHANDLED_LOGGER)
    known, mounts = store
    client = request.getfixturevalue(data.draw(st.sampled_from(CALLERS), "caller"))
    arguments = data.draw(argument_values(target, known), "arguments")

    _call(client, target, arguments, mounts, caplog)
