"""The permission audit: every field the plugin adds to Saleor's schema, called by
every kind of caller through /graphql/, against the one table of docs/permissions.md.

How the fields are found: a fresh interpreter builds Saleor's schema with the same
settings but without the plugin's app (so nothing mounts), and introspects it; the
audit introspects the schema this Saleor serves and takes the difference on Saleor's
own types: every field they gain, and every argument a Saleor field gains. The
plugin's own registry of its fields is not read, so a field mounted anywhere, by any
means, is found. Types only the plugin defines are reached through those fields: each
call selects everything they hold (to a depth of five, Saleor's objects by ID), so
their fields are read and searched too.

How each is called: one operation generated from the introspected field, with
arguments generated from their types and descriptions (an ID argument gets the ID of
the object its description names, of the first customer: ``ID of the checkout.``),
in a store where each object exists: an order of the first customer with service
history, a delivery promise, a failed notice, a stock-shortage link, a survey and a
staff alert; a checkout of theirs with a dropped code; a promoted code; a failed
coupon attempt. A field on Saleor's ``Order`` or ``Checkout`` is reached by ID, one
on ``User`` through ``me`` by customers and ``user(id:)`` by everybody else. Each
caller runs in a savepoint rolled back after it, so a mutation meets the same store
each time, and Django's cache is emptied before it (the rate limits count there).

Callers: anonymous; the first customer; another customer; staff without
permissions; staff with the permission the table names (through an unrestricted
permission group); staff with the same permission through a group restricted to
another channel (PLN; everything is in USD); an app without permissions; the app with
the permission.

Outcomes: ``data``, ``empty`` (a list or connection without items), ``null``,
``denied`` (Saleor's PermissionDenied), ``error CODE`` (errors as data) and
``failed CODE`` (another GraphQL error).

Leaks: for the other customer, the staff and app without permission, and anonymous,
no response (data and errors) holds the first customer's e-mail, names or account ID,
and unless their outcome is ``data`` (a token or ID is what the table lets them
hold) neither the order's ID, number or token, the checkout's token, nor the links'
tokens, except values the caller sent; staff of another channel never get the
order's ID.
"""

from datetime import timedelta

import graphene
import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from saleor.account.models import Group
from saleor.permission.models import Permission
from coupon_support import make_voucher
from shortage_support import (
    make_variant,
    run_sweep,
    set_stock,
    shortage_settings,
    short_line,
)
from survey_support import sent_survey, token_of

from permission_audit_support import (
    CALLERS,
    PERMISSIONS_DOC,
    TABLE_HEADER,
    Values,
    operation,
    outcome,
    found,
    plugin_additions,
    read_table,
    removed_by_plugin,
    saleor_schema_without_plugin,
    schema_with_plugin,
    types_of,
)
from saleor_cs_plugin import events, staff_alerts
from saleor_cs_plugin.domain.alerts import AlertKind
from saleor_cs_plugin.domain.conversations import ConversationStatus, Direction
from saleor_cs_plugin.domain.history import ContactChannel
from saleor_cs_plugin.domain.notices import NoticeStatus, NoticeType
from saleor_cs_plugin.domain.promises import PromiseStatus
from saleor_cs_plugin.domain.surveys import Moment
from saleor_cs_plugin.models import (
    CheckoutCouponWatch,
    Conversation,
    ConversationMessage,
    CouponFailure,
    DeliveryPromise,
    Notice,
    NoticePreference,
    PromotedCode,
)

pytestmark = pytest.mark.django_db

TABLE = read_table()

# Arguments the generated ones cannot know: optional ones a call needs to succeed for
# the right caller, and values that must differ from the store's (a code not yet
# promoted). Merged into the generated arguments.
GIVEN_ARGUMENTS = {
    "Mutation.serviceContactLog": lambda store: {"input": {"order": store["order"]}},
    "Mutation.servicePromotedCodeRegister": lambda store: {
        "input": {"code": store["spare code"]}
    },
    "Mutation.serviceSurveyAnswer": lambda store: {"satisfied": True},
    "Mutation.serviceConversationLink": lambda store: {"customer": store["customer"]},
    "Mutation.serviceProblemReport": lambda store: {"orderId": store["order"]},
}

UNENTITLED = ("anonymous", "other customer", "staff without", "app without")


@pytest.fixture(scope="module")
def schemas(django_db_blocker):
    with django_db_blocker.unblock():
        return schema_with_plugin(), saleor_schema_without_plugin()


def test_saleor_alone_is_what_the_plugin_extends(schemas):
    # the comparison is sound only if Saleor alone is Saleor's whole schema
    with_plugin, saleor_alone = schemas

    assert removed_by_plugin(with_plugin, saleor_alone) == []
    own = types_of(saleor_alone)
    assert {"Query", "Mutation", "User", "Order", "Checkout"} <= own.keys()
    assert not any(name.startswith("Service") for name in own)


def test_every_field_the_plugin_adds_has_a_row(schemas):
    with_plugin, saleor_alone = schemas
    additions = {
        addition.row for addition in plugin_additions(with_plugin, saleor_alone)
    }
    empty_row = " | ".join(["`{field}`", *["?"] * (len(TABLE_HEADER) - 1)])

    missing = sorted(additions - TABLE.keys())
    stale = sorted(TABLE.keys() - additions)

    assert not missing, (
        f"{PERMISSIONS_DOC.name} has no row for: {', '.join(missing)}. Add, e.g.:\n"
        + "\n".join("| " + empty_row.format(field=name) + " |" for name in missing)
    )
    assert not stale, f"{PERMISSIONS_DOC.name} has rows for no field: {stale}"


@pytest.fixture
def store(
    plugin_configuration,
    order_with_lines,
    checkout_with_item,
    customer_user,
    channel_USD,
    warehouse,
    voucher,
):
    """Every object a field reads, of the first customer, in the USD channel."""
    # Replies go by e-mail to a port nothing listens on: one attempt, then failed.
    plugin_configuration(
        **shortage_settings(
            smtp_host="127.0.0.1",
            smtp_port="9",
            smtp_security="none",
            sender_address="care@example.com",
            max_attempts="1",
        )
    )
    now = timezone.now()
    order = order_with_lines
    assert order.user_id == customer_user.pk
    line = short_line(order)
    alternative = make_variant(
        line.variant.product,
        channel=channel_USD,
        warehouse=warehouse,
        price="21",
        stock=9,
        sku="AUDIT-ALT",
        name="Blue",
    )
    set_stock(line, 0)
    run_sweep()
    notice = Notice.objects.get(notice_type=NoticeType.STOCK_SHORTAGE)
    Notice.objects.filter(pk=notice.pk).update(
        status=NoticeStatus.FAILED, last_error="Webhook: HTTP 410"
    )
    events.contact_logged_event(
        contact_channel=ContactChannel.PHONE,
        summary="Asked where the parcel is.",
        is_resolved_at_first_contact=True,
        is_customer_visible=True,
        user=customer_user,
        order=order,
    )
    NoticePreference.objects.create(user=customer_user)
    DeliveryPromise.objects.create(
        order=order,
        channel=channel_USD,
        ordered_at=now - timedelta(days=3),
        minimum_delivery_days=1,
        maximum_delivery_days=3,
        handling_days=1,
        ship_by=(now - timedelta(days=2)).date(),
        ship_by_deadline=now - timedelta(days=2),
        deliver_from=(now - timedelta(days=1)).date(),
        deliver_by=(now + timedelta(days=1)).date(),
        status=PromiseStatus.SHIPPED_ON_TIME,
        shipped_at=now - timedelta(days=2),
    )
    survey = sent_survey(moment=Moment.COMPLETED, order=order)
    alert = staff_alerts.raise_alert(
        kind=AlertKind.SHORTAGE_CHOICE,
        cause_key=f"audit:{order.pk}",
        title=f"Order {order.number}: the customer chose to wait",
        message="The customer chose to wait.",
        now=now,
        channel_id=channel_USD.pk,
        order_id=order.pk,
    )
    checkout = checkout_with_item
    checkout.user = customer_user
    checkout.email = customer_user.email
    checkout.save(update_fields=["user", "email"])
    code = voucher.codes.first().code
    CheckoutCouponWatch.objects.create(
        checkout_token=checkout.token,
        removed_code=code,
        removed_reason="minimum_spend_not_met",
        removed_message="The code needs a bigger order.",
        removed_at=now,
    )
    PromotedCode.objects.create(code=code, channel=channel_USD, placements=["popup"])
    make_voucher(channel_USD, "AUDIT-SPARE")
    CouponFailure.objects.create(
        code=code, reason="expired", channel=channel_USD, checkout_token=checkout.token
    )
    shortage_token = Notice.objects.get(pk=notice.pk).context["data"]["choiceToken"]
    conversation = Conversation.objects.create(
        channel=channel_USD,
        contact_channel=ContactChannel.EMAIL,
        sender=customer_user.email,
        user=customer_user,
        customer_email=customer_user.email,
        order=order,
        status=ConversationStatus.WAITING_ON_STORE,
        opened_at=now,
        waiting_since=now,
    )
    ConversationMessage.objects.create(
        conversation=conversation,
        channel=channel_USD,
        direction=Direction.CUSTOMER,
        text="Where is my parcel?",
        bridge_message_id="mail-audit",
        sent_at=now,
    )
    return {
        "order": graphene.Node.to_global_id("Order", order.pk),
        "checkout": graphene.Node.to_global_id("Checkout", checkout.token),
        "customer": graphene.Node.to_global_id("User", customer_user.pk),
        "notice": graphene.Node.to_global_id("ServiceNotice", notice.pk),
        "alert": graphene.Node.to_global_id("ServiceStaffAlert", alert.alert_id),
        "survey": graphene.Node.to_global_id("ServiceSurvey", survey.pk),
        "conversation": graphene.Node.to_global_id(
            "ServiceConversation", conversation.pk
        ),
        "variant": graphene.Node.to_global_id("ProductVariant", alternative.pk),
        "survey token": token_of(survey),
        "shortage token": shortage_token,
        "code": code,
        "spare code": "AUDIT-SPARE",
        "channel": channel_USD.slug,
        "secrets": {
            "personal": {
                "e-mail": customer_user.email,
                "first name": customer_user.first_name,
                "last name": customer_user.last_name,
                "account ID": graphene.Node.to_global_id("User", customer_user.pk),
            },
            "objects": {
                "order ID": graphene.Node.to_global_id("Order", order.pk),
                "order number": f"#{order.number}",
                "order token": str(order.pk),
                "checkout token": str(checkout.token),
                "checkout ID": graphene.Node.to_global_id("Checkout", checkout.token),
                "survey token": token_of(survey)[:40],
                "shortage token": shortage_token[:40],
            },
        },
    }


def _values(store) -> Values:
    return Values(
        ids=[
            ("checkout", store["checkout"]),
            ("notice", store["notice"]),
            ("alert", store["alert"]),
            ("variant", store["variant"]),
            ("survey", store["survey"]),
            ("conversation", store["conversation"]),
            ("customer", store["customer"]),
            ("account", store["customer"]),
            ("order", store["order"]),
        ],
        tokens=[
            ("survey", store["survey token"]),
            ("shortage", store["shortage token"]),
        ],
        code=store["code"],
        channel_slug=store["channel"],
        text="Asked where the parcel is.",
    )


def _grant(group_name, permissions, channels=None):
    group = Group.objects.create(
        name=group_name, restricted_access_to_channels=channels is not None
    )
    group.permissions.add(*permissions)
    if channels:
        group.channels.add(*channels)
    return group


def _client(caller, *, permissions, clients, channel_PLN):
    if caller == "anonymous":
        return clients["anonymous"]
    if caller in ("customer", "other customer"):
        return clients[caller]
    if caller.startswith("app"):
        client = clients["app"]
        if caller == "app with":
            client.app.permissions.add(*permissions)
        return client
    client = clients["staff"]
    if caller == "staff with":
        _grant("audit-with", permissions).user_set.add(client.user)
    elif caller == "staff of another channel":
        group = _grant("audit-other-channel", permissions, channels=[channel_PLN])
        group.user_set.add(client.user)
    return client


@pytest.mark.parametrize("field", sorted(TABLE))
def test_every_caller_gets_what_the_table_says(
    field,
    schemas,
    store,
    api_client,
    user_api_client,
    other_customer_api_client,
    staff_api_client,
    app_api_client,
    channel_PLN,
):
    with_plugin, saleor_alone = schemas
    (addition,) = [
        item
        for item in plugin_additions(with_plugin, saleor_alone)
        if item.row == field
    ]
    row = TABLE[field]
    permissions = [
        Permission.objects.get(codename=name.lower()) for name in row.permissions
    ]
    clients = {
        "anonymous": api_client,
        "customer": user_api_client,
        "other customer": other_customer_api_client,
        "staff": staff_api_client,
        "app": app_api_client,
    }
    given = GIVEN_ARGUMENTS.get(field, lambda store: {})(store)
    types, saleor_types = types_of(with_plugin), types_of(saleor_alone)
    got, leaks = {}, []

    for caller in CALLERS:
        with transaction.atomic():
            client = _client(
                caller,
                permissions=permissions,
                clients=clients,
                channel_PLN=channel_PLN,
            )
            call = operation(
                addition,
                caller=caller,
                types=types,
                saleor_types=saleor_types,
                values=_values(store),
                given_arguments=given,
            )
            cache.clear()
            response = client.post_graphql(call.query, call.variables)
            content = response.json()
            got[caller] = outcome(content, call.path)
            secrets = {}
            if caller in UNENTITLED:
                secrets.update(store["secrets"]["personal"])
                if got[caller] != "data":
                    secrets.update(store["secrets"]["objects"])
            elif caller == "staff of another channel":
                secrets["order ID"] = store["secrets"]["objects"]["order ID"]
            leaks.extend(
                f"{caller}: {name}" for name in found(content, secrets, call.variables)
            )
            transaction.set_rollback(True)

    permission_cell = " + ".join(row.permissions) or "none"
    written = " | ".join(
        [f"`{field}`", *[got[caller] for caller in CALLERS[:4]]]
        + [f"{permission_cell}: {got['staff with']}"]
        + [got[caller] for caller in CALLERS[5:]]
    )
    assert (got, leaks) == (row.expected, []), (
        f"{field} answers, as a row:\n| {written} |\nleaks: {leaks}"
    )


def test_the_leak_search_sees_the_first_customers_data(schemas, store, user_api_client):
    # given the customer's own history, which holds their address and their order
    with_plugin, saleor_alone = schemas
    history = next(
        item
        for item in plugin_additions(with_plugin, saleor_alone)
        if item.row == "User.serviceHistory"
    )
    call = operation(
        history,
        caller="customer",
        types=types_of(with_plugin),
        saleor_types=types_of(saleor_alone),
        values=_values(store),
        given_arguments={},
    )
    content = user_api_client.post_graphql(call.query, call.variables).json()
    secrets = {**store["secrets"]["personal"], **store["secrets"]["objects"]}

    # then the search finds them in data and in error messages, but not what was sent
    assert found(content, secrets, call.variables) == ["e-mail", "order ID"]
    message = {
        "errors": [
            {"message": f"No account for {store['secrets']['personal']['e-mail']}."}
        ]
    }
    assert found(message, secrets, {}) == ["e-mail"]
    assert found(content, secrets, {"id": store["order"]}) == ["e-mail"]
