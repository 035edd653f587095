"""Notices in the customer's language, in a real Saleor: an order placed in Polish (or
German) through the storefront API is told of its delay, and of its shipping, in
that language, with dates and money as the language writes them, over a real SMTP
server or webhook receiver. The merchant's texts are taken per language; an order in
a language the plugin does not speak is told in the channel's language."""

import email
from datetime import UTC, datetime
from email import policy

import graphene
import pytest
from freezegun import freeze_time
from saleor.graphql.tests.utils import get_graphql_content
from saleor.order.models import Order

from conftest import WEBHOOK_SECRET
from storefront import CHECKOUT_COMPLETE, signed_in_now, start_checkout
from saleor_cs_plugin import fetch, outbox, promises, tasks
from saleor_cs_plugin.domain.items import item_name
from saleor_cs_plugin.domain.notices import NoticeType, idempotency_key
from saleor_cs_plugin.models import ApologyVoucher, Notice

pytestmark = pytest.mark.django_db

# Monday 30 November 2026, 09:00 UTC: ships by Tuesday 1 December, arrives by
# Monday 7 December (2 to 4 working days).
MONDAY_MORNING = datetime(2026, 11, 30, 9, tzinfo=UTC)
# 24 hours before the ship-by deadline, past the first half of the handling time.
AT_RISK_SWEEP = datetime(2026, 12, 1, 5, tzinfo=UTC)
LATE_SWEEP = datetime(2026, 12, 2, 1, tzinfo=UTC)
FOLLOW_UP_SWEEP = datetime(2026, 12, 5, 9, tzinfo=UTC)

SUPPORT_CONTACT = (
    "Reply to this e-mail.\n[pl]\nOdpowiedz na tę wiadomość.\n[de]\n"
    "Antworten Sie auf diese E-Mail."
)
POLISH_OPTIONS = (
    "Możesz poczekać – damy Ci znać, gdy tylko zamówienie zostanie wysłane – albo "
    "poprosić nas o anulowanie oczekujących produktów i zwrot pieniędzy za nie: "
    "wystarczy odpowiedzieć na tę wiadomość lub skontaktować się z nami."
)
GERMAN_OPTIONS = (
    "Sie können warten – wir sagen Ihnen Bescheid, sobald die Bestellung versandt "
    "wird – oder uns bitten, die ausstehenden Artikel zu stornieren und Ihnen den "
    "Betrag dafür zu erstatten: Antworten Sie einfach auf diese Nachricht oder "
    "kontaktieren Sie uns."
)
ENGLISH_OPTIONS = (
    "You can wait, and we will tell you as soon as it ships, or ask us to cancel the "
    "waiting items and be refunded for them: just reply or contact us."
)

LANGUAGE_UPDATE = """
mutation ($id: ID!, $languageCode: LanguageCodeEnum!) {
  checkoutLanguageCodeUpdate(id: $id, languageCode: $languageCode) {
    errors { field code message }
  }
}
"""

ORDER_FULFILL = """
mutation ($order: ID!, $input: OrderFulfillInput!) {
  orderFulfill(order: $order, input: $input) { errors { field code message } }
}
"""


@pytest.fixture
def store(channel_USD, shipping_method, product, plugin_configuration, smtp_receiver):
    """A channel taking unpaid orders, a method delivering in 2 to 4 days, and the
    plugin sending every notice by e-mail to a local SMTP server, with a support
    contact in English, Polish and German."""
    channel_USD.allow_unpaid_orders = True
    channel_USD.automatically_confirm_all_new_orders = True
    channel_USD.save()
    shipping_method.minimum_delivery_days = 2
    shipping_method.maximum_delivery_days = 4
    shipping_method.save()

    def configure(**values):
        return plugin_configuration(
            **{
                "notice_transports": "*=email",
                "smtp_host": "127.0.0.1",
                "smtp_port": str(smtp_receiver.port),
                "smtp_security": "none",
                "sender_address": "care@example.com",
                "support_contact": SUPPORT_CONTACT,
                "quiet_hours": "",
                **values,
            }
        )

    return configure


def _place(api_client, product, shipping_method, channel, language_code, **kwargs):
    """An order placed through the storefront API in ``language_code`` (the
    checkout's language, as a storefront in that language sets it)."""
    with freeze_time(MONDAY_MORNING):
        checkout_id = start_checkout(
            api_client,
            channel=channel,
            lines=[(product.variants.get(), 2)],
            shipping_method=shipping_method,
            **kwargs,
        )
        updated = get_graphql_content(
            api_client.post_graphql(
                LANGUAGE_UPDATE, {"id": checkout_id, "languageCode": language_code}
            )
        )["data"]["checkoutLanguageCodeUpdate"]
        assert updated["errors"] == []
        completed = get_graphql_content(
            api_client.post_graphql(CHECKOUT_COMPLETE, {"id": checkout_id})
        )["data"]["checkoutComplete"]
    assert completed["errors"] == []
    return Order.objects.get(number=completed["order"]["number"])


def _item(order) -> str:
    line = order.lines.get()
    return item_name(line.product_name, line.variant_name, line.product_sku)


def _deliver(notice_ids) -> None:
    for notice_id in notice_ids:
        assert tasks.deliver_notice(notice_id) == "sent"


def _received(smtp_receiver):
    """(to, subject, plain text) of every e-mail the SMTP server received."""
    found = []
    for received in smtp_receiver.messages:
        message = email.message_from_bytes(received["data"], policy=policy.default)
        text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
        found.append((received["to"], message["Subject"], text))
    return found


def test_a_polish_order_is_told_it_is_at_risk_in_polish(
    store,
    user_api_client,
    customer_user,
    product,
    shipping_method,
    channel_USD,
    smtp_receiver,
):
    # given: an order placed in Polish, the built-in texts kept
    store()
    order = _place(user_api_client, product, shipping_method, channel_USD, "PL")
    assert order.language_code == "pl"

    # when: the sweep finds it at risk, and the notice is delivered
    notice_ids, _ = promises.sweep(AT_RISK_SWEEP)
    _deliver(notice_ids)

    # then: one e-mail, in Polish: the built-in greeting translated, Babel's dates
    (notice,) = Notice.objects.all()
    assert notice.context["language"] == "pl"
    assert _received(smtp_receiver) == [
        (
            ["shopper@example.com"],
            f"Zamówienie nr {order.number} może zostać wysłane później, niż "
            "obiecaliśmy",
            f"Dzień dobry, {customer_user.first_name}!\n\n"
            f"Przepraszamy: Twoje zamówienie nr {order.number} może nie zostać "
            "wysłane do 1 grudnia 2026, czyli w obiecanym terminie. Do wysyłki "
            f"pozostało: 2 × {_item(order)}. Nasz nowy, realny termin: wysyłka do "
            f"2 grudnia 2026, dostawa do 8 grudnia 2026. {POLISH_OPTIONS}\n\n"
            "Odpowiedz na tę wiadomość.\n",
        )
    ]


def test_a_late_polish_order_gets_its_apology_in_polish_money(
    store, user_api_client, product, shipping_method, channel_USD, smtp_receiver
):
    # given: a Polish order told it is late, a fixed apology voucher
    store(apology_voucher="20", apology_vouchers_per_day="5")
    order = _place(user_api_client, product, shipping_method, channel_USD, "PL")
    late_ids, _ = promises.sweep(LATE_SWEEP)

    # when: still late past the follow-up day
    follow_up_ids, _ = promises.sweep(FOLLOW_UP_SWEEP)
    _deliver(late_ids + follow_up_ids)

    # then
    code = ApologyVoucher.objects.get().code
    (late, follow_up) = _received(smtp_receiver)
    assert late[1] == f"Zamówienie nr {order.number} jest opóźnione"
    assert late[2].startswith(
        f"Dzień dobry, Leslie!\n\nPrzepraszamy: Twoje zamówienie nr {order.number} "
        "nie zostało wysłane do 1 grudnia 2026, jak obiecaliśmy. Do wysyłki "
        f"pozostało: 2 × {_item(order)}. Nasz nowy, realny termin: wysyłka do "
        "4 grudnia 2026, dostawa do 10 grudnia 2026."
    )
    assert follow_up[1] == f"Zamówienie nr {order.number} jest nadal opóźnione"
    # Saturday 5 December: handled from Monday 7, ships two working days later.
    assert follow_up[2] == (
        f"Dzień dobry, Leslie!\n\nPrzepraszamy, że Twoje zamówienie nr {order.number}, "
        "którego wysyłkę obiecaliśmy do 1 grudnia 2026, wciąż nie zostało wysłane. "
        f"Do wysyłki pozostało: 2 × {_item(order)}. Nasz nowy, realny termin: "
        f"wysyłka do 9 grudnia 2026, dostawa do 15 grudnia 2026. {POLISH_OPTIONS} "
        f"W ramach przeprosin kod {code} obniży cenę Twojego następnego zamówienia "
        "o 20,00\xa0USD.\n\nOdpowiedz na tę wiadomość.\n"
    )


def test_a_german_order_is_told_it_is_late_in_german_by_webhook(
    store, user_api_client, product, shipping_method, channel_USD, webhook_receiver
):
    # given: an order placed in German, notices sent by webhook, a percentage off
    # as the apology
    store(
        notice_transports="*=webhook",
        webhook_url=webhook_receiver.url,
        webhook_secret=WEBHOOK_SECRET,
        apology_voucher="15%",
    )
    order = _place(user_api_client, product, shipping_method, channel_USD, "DE")

    # when: late, then still late past the follow-up day
    notice_ids, _ = promises.sweep(LATE_SWEEP)
    notice_ids += promises.sweep(FOLLOW_UP_SWEEP)[0]
    _deliver(notice_ids)

    # then: each payload names its language, and its subject and text are in it
    late, follow_up = (received.json for received in webhook_receiver.requests)
    assert (late["language"], follow_up["language"]) == ("de", "de")
    assert late["subject"] == f"Bestellung Nr. {order.number} verspätet sich"
    assert late["text"] == (
        f"Hallo Leslie,\n\nEs tut uns leid: Ihre Bestellung Nr. {order.number} wurde "
        "nicht wie versprochen bis zum 1. Dezember 2026 versandt. Noch ausstehend: "
        f"2 × {_item(order)}. Unsere ehrliche neue Schätzung: Versand bis zum "
        f"4. Dezember 2026, Zustellung bis zum 10. Dezember 2026. {GERMAN_OPTIONS}"
        "\n\nAntworten Sie auf diese E-Mail."
    )
    # The data is the same in every language.
    assert late["data"]["estimatedShipBy"] == "2026-12-04"
    code = ApologyVoucher.objects.get().code
    assert follow_up["subject"] == (
        f"Bestellung Nr. {order.number} verspätet sich weiterhin"
    )
    assert follow_up["text"].endswith(
        f"{GERMAN_OPTIONS} Als Entschuldigung erhalten Sie mit dem Code {code} "
        "15\xa0% Rabatt auf Ihre nächste Bestellung.\n\nAntworten Sie auf diese "
        "E-Mail."
    )


def test_an_order_in_a_language_the_plugin_does_not_speak_is_told_in_the_channels(
    store, api_client, product, shipping_method, channel_USD, smtp_receiver
):
    # given: a guest order in French, a channel whose language is German
    store(language="de")
    order = _place(
        api_client,
        product,
        shipping_method,
        channel_USD,
        "FR",
        email="guest@example.com",
    )
    assert order.language_code == "fr"

    # when
    notice_ids, _ = promises.sweep(AT_RISK_SWEEP)
    _deliver(notice_ids)

    # then: German, greeting the guest by the billing address's name
    assert Notice.objects.get().context["language"] == "de"
    ((to, subject, text),) = _received(smtp_receiver)
    assert to == ["guest@example.com"]
    assert subject == (
        f"Bestellung Nr. {order.number} wird möglicherweise später versandt als "
        "versprochen"
    )
    assert text.startswith(
        f"Hallo Ada,\n\nEs tut uns leid: Ihre Bestellung Nr. {order.number} wird "
        "möglicherweise nicht wie versprochen bis zum 1. Dezember 2026 versandt."
    )
    assert text.endswith("\n\nAntworten Sie auf diese E-Mail.\n")


def test_a_customer_whose_order_language_is_unknown_is_told_in_their_accounts(
    store,
    user_api_client,
    customer_user,
    product,
    shipping_method,
    channel_USD,
    smtp_receiver,
):
    # given: an order in French by a customer whose account is in Polish
    customer_user.language_code = "pl"
    customer_user.save(update_fields=["language_code"])
    store(language="de")
    order = _place(user_api_client, product, shipping_method, channel_USD, "FR")

    # when
    _deliver(promises.sweep(AT_RISK_SWEEP)[0])

    # then
    ((_, subject, _),) = _received(smtp_receiver)
    assert subject == (
        f"Zamówienie nr {order.number} może zostać wysłane później, niż obiecaliśmy"
    )


def test_the_merchants_polish_texts_are_used_for_a_polish_order_only(
    store,
    user_api_client,
    other_customer_api_client,
    customer_user2,
    product,
    shipping_method,
    channel_USD,
    smtp_receiver,
):
    # given: the merchant's texts of the delay notice, with a [pl] section
    store(
        subject_order_delay="Acme: $subject\n[pl]\nSklep Acme: $subject",
        body_order_delay=(
            "Hi $customer_name! $message\n\n$support_contact\n[pl]\n"
            "Cześć $customer_name! $message\n\n$support_contact"
        ),
    )
    polish = _place(user_api_client, product, shipping_method, channel_USD, "PL")
    german = _place(
        user_api_client,
        product,
        shipping_method,
        channel_USD,
        "DE",
        email="de@example.com",
    )
    english = _place(
        other_customer_api_client,
        product,
        shipping_method,
        channel_USD,
        "EN",
        email=customer_user2.email,
    )

    # when
    _deliver(promises.sweep(AT_RISK_SWEEP)[0])

    # then: the [pl] text for the Polish order; the text before it for the others,
    # the plugin's own wording in their language
    by_recipient = {
        to[0]: (subject, text) for to, subject, text in _received(smtp_receiver)
    }
    assert by_recipient["shopper@example.com"] == (
        f"Sklep Acme: Zamówienie nr {polish.number} może zostać wysłane później, "
        "niż obiecaliśmy",
        f"Cześć Leslie! Przepraszamy: Twoje zamówienie nr {polish.number} może nie "
        "zostać wysłane do 1 grudnia 2026, czyli w obiecanym terminie. Do wysyłki "
        f"pozostało: 2 × {_item(polish)}. Nasz nowy, realny termin: wysyłka do "
        f"2 grudnia 2026, dostawa do 8 grudnia 2026. {POLISH_OPTIONS}\n\n"
        "Odpowiedz na tę wiadomość.\n",
    )
    assert by_recipient["de@example.com"] == (
        f"Acme: Bestellung Nr. {german.number} wird möglicherweise später versandt "
        "als versprochen",
        f"Hi Leslie! Es tut uns leid: Ihre Bestellung Nr. {german.number} wird "
        "möglicherweise nicht wie versprochen bis zum 1. Dezember 2026 versandt. "
        f"Noch ausstehend: 2 × {_item(german)}. Unsere ehrliche neue Schätzung: "
        "Versand bis zum 2. Dezember 2026, Zustellung bis zum 8. Dezember 2026. "
        f"{GERMAN_OPTIONS}\n\nAntworten Sie auf diese E-Mail.\n",
    )
    assert by_recipient[customer_user2.email] == (
        f"Acme: Order #{english.number} may ship later than we promised",
        f"Hi Jane! We are sorry: your order #{english.number} may not leave us by "
        "December 1, 2026, the day we promised. Still waiting: "
        f"2 × {_item(english)}. Our honest new estimate: it ships by "
        f"December 2, 2026 and arrives by December 8, 2026. {ENGLISH_OPTIONS}\n\n"
        "Reply to this e-mail.\n",
    )


def test_a_delayed_polish_order_that_ships_is_told_so_in_polish(
    store,
    user_api_client,
    staff_in_group,
    permission_manage_orders,
    product,
    shipping_method,
    channel_USD,
    warehouse,
    smtp_receiver,
):
    # given: a Polish order told it is late
    store()
    order = _place(user_api_client, product, shipping_method, channel_USD, "PL")
    _deliver(promises.sweep(LATE_SWEEP)[0])
    staff = staff_in_group(permission_manage_orders)
    line = order.lines.get()

    # when: all of it ships on Thursday 3 December with a tracking number
    with freeze_time(datetime(2026, 12, 3, 10, tzinfo=UTC)):
        content = get_graphql_content(
            signed_in_now(staff).post_graphql(
                ORDER_FULFILL,
                {
                    "order": graphene.Node.to_global_id("Order", order.pk),
                    "input": {
                        "lines": [
                            {
                                "orderLineId": graphene.Node.to_global_id(
                                    "OrderLine", line.pk
                                ),
                                "stocks": [
                                    {
                                        "quantity": 2,
                                        "warehouse": graphene.Node.to_global_id(
                                            "Warehouse", warehouse.pk
                                        ),
                                    }
                                ],
                            }
                        ],
                        "notifyCustomer": False,
                        "trackingNumber": "PL-TRK-1",
                    },
                },
            )
        )
    assert content["data"]["orderFulfill"]["errors"] == []

    # then: sent once the fulfilment is saved; handled from Thursday, 4 working
    # days to arrive
    on_the_way = Notice.objects.get(notice_type=NoticeType.ORDER_ON_THE_WAY)
    assert (on_the_way.status, on_the_way.context["language"]) == ("sent", "pl")
    assert _received(smtp_receiver)[1] == (
        ["shopper@example.com"],
        f"Zamówienie nr {order.number} jest w drodze",
        f"Dzień dobry, Leslie!\n\nDobra wiadomość: Twoje opóźnione zamówienie nr "
        f"{order.number} zostało wysłane. Numer przesyłki: PL-TRK-1. Spodziewamy się, "
        "że przesyłka dotrze najpóźniej 9 grudnia 2026. Dziękujemy za cierpliwość."
        "\n\nOdpowiedz na tę wiadomość.\n",
    )


def test_a_notice_without_a_language_is_in_the_channels_language(
    plugin_configuration, channel_USD, customer_user, webhook_receiver
):
    # given: a notice worded before notices carried their language, for a customer
    # with no name, in a channel whose language is German
    plugin_configuration(
        notice_transports="*=webhook",
        webhook_url=webhook_receiver.url,
        webhook_secret=WEBHOOK_SECRET,
        quiet_hours="",
        language="de",
        support_contact=SUPPORT_CONTACT,
    )
    notice, _ = outbox.enqueue_notice(
        notice_type=NoticeType.ORDER_DELAY,
        idempotency_key=idempotency_key(NoticeType.ORDER_DELAY, "no language"),
        notice_settings=fetch.channel_settings(channel_USD.pk).notices,
        recipient_email=customer_user.email,
        context={"subject": "Order #7 is late", "message": "It is late."},
        channel=channel_USD,
        user=customer_user,
    )

    # when
    assert tasks.deliver_notice(notice.pk) == "sent"

    # then: the built-in text and the unknown name in German, the words as worded
    (received,) = webhook_receiver.requests
    assert (received.json["language"], received.json["text"]) == (
        "de",
        "Hallo liebe Kundin, lieber Kunde,\n\nIt is late.\n\n"
        "Antworten Sie auf diese E-Mail.",
    )


@pytest.mark.parametrize(
    ("language", "greeting"),
    [("pl", "Dzień dobry, Kliencie!"), ("en", "Hello customer,")],
)
def test_a_customer_without_a_name_is_greeted_in_the_notices_language(
    plugin_configuration,
    channel_USD,
    customer_user,
    webhook_receiver,
    language,
    greeting,
):
    plugin_configuration(
        notice_transports="*=webhook",
        webhook_url=webhook_receiver.url,
        webhook_secret=WEBHOOK_SECRET,
        quiet_hours="",
        language="de",
    )
    notice, _ = outbox.enqueue_notice(
        notice_type=NoticeType.ORDER_DELAY,
        idempotency_key=idempotency_key(NoticeType.ORDER_DELAY, language),
        notice_settings=fetch.channel_settings(channel_USD.pk).notices,
        recipient_email=customer_user.email,
        context={"subject": "S", "message": "M", "language": language},
        channel=channel_USD,
        user=customer_user,
    )

    assert tasks.deliver_notice(notice.pk) == "sent"

    (received,) = webhook_receiver.requests
    assert (received.json["language"], received.json["text"]) == (
        language,
        f"{greeting}\n\nM\n\n",
    )
