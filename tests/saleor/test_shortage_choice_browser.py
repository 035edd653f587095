"""The stock-shortage choice page in a real browser: Debian's Chromium, headless,
opens the link of a real notice on a live Saleor, answers with the keyboard, and is
refused the second time; a Polish order gets the page in Polish.

``CS_SCREENSHOTS=docs/images`` saves the screenshots the documentation shows.
"""

import re
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import browser
import graphene
import pytest
from browser import LOWEST_CONTRAST, PHONE, focus_order, needs_browser, screenshot
from django.contrib.sites.models import Site
from django.utils import timezone
from saleor.order import OrderEvents
from saleor.order.models import OrderEvent
from saleor.product.models import Product, ProductVariant
from shortage_support import (
    make_variant,
    run_sweep,
    set_stock,
    short_line,
    shortage_notices,
    shortage_settings,
)

from saleor_cs_plugin import shortages
from saleor_cs_plugin.config import PLUGIN_ID
from saleor_cs_plugin.domain.history import Actor, ContactChannel, EntryType
from saleor_cs_plugin.domain.notices import NoticeType
from saleor_cs_plugin.models import ServiceHistoryEntry, StockShortage

pytestmark = needs_browser()

# The browser's fixtures, for the tests here.
chromium = browser.chromium
desktop_page = browser.desktop_page
live_saleor = browser.live_saleor
new_page = browser.new_page
replica_as_mirror = browser.replica_as_mirror

STORE_NAME = "Corner Shop"
SUPPORT = "Call us on +1 555 0100, Monday to Friday, 9:00 to 17:00."
SUPPORT_PL = "Zadzwoń do nas: +1 555 0100, od poniedziałku do piątku, 9:00–17:00."
PRODUCT = "Linen shirt"
ITEM = "Linen shirt (Sand / M)"
ENGLISH_MONTHS = (
    "January February March April May June July August September October "
    "November December"
).split()
# Polish dates name the month in the genitive: "1 grudnia 2026".
POLISH_MONTHS = (
    "stycznia lutego marca kwietnia maja czerwca lipca sierpnia września "
    "października listopada grudnia"
).split()

# Facts of the page read from the DOM, as assistive technology reads them.
PAGE_FACTS = """() => {
  const text = (element) => element.textContent.replace(/\\s+/g, " ").trim();
  const fields = [...document.querySelectorAll("input, select, textarea, button")]
    .filter((field) => field.type !== "hidden");
  return {
    lang: document.documentElement.lang,
    title: document.title,
    h1: [...document.querySelectorAll("h1")].map(text),
    page: document.querySelector("main#page").dataset.page,
    unlabelled: fields
      .filter((field) => field.tagName !== "BUTTON")
      .filter((field) => ![...field.labels].some((label) => text(label)))
      .map((field) => field.id || field.name),
    nameless_buttons: fields
      .filter((field) => field.tagName === "BUTTON" && !text(field))
      .map((field) => field.id),
    legend: [...document.querySelectorAll("fieldset > legend")].map(text),
    wider_than_window:
      document.documentElement.scrollWidth > document.documentElement.clientWidth,
  };
}"""


@pytest.fixture
def shortage_notice(
    live_saleor, plugin_configuration, order_with_lines, channel_USD, warehouse
):
    """A real order whose line of 2 shirts ran out of stock, with two alternatives in
    stock and a restock date; the sweep composes its notice. Returns a function of
    the order's language that gives (notice, restock date)."""

    def make(language="en"):
        Site.objects.filter(pk=Site.objects.get_current().pk).update(name=STORE_NAME)
        Site.objects.clear_cache()
        plugin_configuration(
            **shortage_settings(support_contact=f"{SUPPORT}\n[pl]\n{SUPPORT_PL}")
        )
        order = order_with_lines
        order.language_code = language
        order.save(update_fields=["language_code"])
        line = short_line(order)
        Product.objects.filter(pk=line.variant.product_id).update(name=PRODUCT)
        ProductVariant.objects.filter(pk=line.variant_id).update(name="Sand / M")
        line.product_name, line.variant_name = PRODUCT, "Sand / M"
        line.save(update_fields=["product_name", "variant_name"])
        restock = timezone.now().date() + timedelta(days=24)
        variant = line.variant
        variant.store_value_in_private_metadata(
            {shortages.RESTOCK_METADATA_KEY: restock.isoformat()}
        )
        variant.save(update_fields=["private_metadata"])
        product = Product.objects.get(pk=line.variant.product_id)
        for sku, name, price, stock in [
            ("LS-BLUE-M", "Blue / M", "21", 9),
            ("LS-OLIVE-M", "Olive / M", "19.50", 3),
        ]:
            make_variant(
                product,
                channel=channel_USD,
                warehouse=warehouse,
                price=price,
                stock=stock,
                sku=sku,
                name=name,
            )
        set_stock(line, 0)
        run_sweep()
        (notice,) = shortage_notices()
        return notice, restock

    return make


def _alternatives(notice):
    """(name, price, ProductVariant global id) of each alternative, as offered."""
    return [
        (a["name"], Decimal(a["price"]), a["variantId"])
        for a in notice.context["data"]["alternatives"]
    ]


def _text(page, selector):
    return re.sub(r"\s+", " ", page.locator(selector).inner_text()).strip()


def _labels(page):
    return [
        re.sub(r"\s+", " ", text).strip()
        for text in page.locator("#choice-form label").all_inner_texts()
    ]


def _address(url):
    """(URL without its query, the query's values): the same whichever way the
    query is quoted."""
    parts = urlsplit(url)
    return parts._replace(query="").geturl(), parse_qs(parts.query)


def _answers():
    """What answers left behind: choices, history entries, timeline notes."""
    return (
        StockShortage.objects.exclude(chosen_at=None).count(),
        ServiceHistoryEntry.objects.filter(type=EntryType.CUSTOMER_CHOICE).count(),
        OrderEvent.objects.filter(type=OrderEvents.NOTE_ADDED).count(),
    )


def test_the_customer_answers_from_the_notice_link_once(
    live_saleor,
    shortage_notice,
    order_with_lines,
    customer_user,
    channel_USD,
    desktop_page,
    new_page,
):
    # given the notice of a short line, sent in English
    notice, restock = shortage_notice("en")
    offered = _alternatives(notice)
    # the closest price first
    assert [(name, price) for name, price, _ in offered] == [
        (f"{PRODUCT} (Olive / M)", Decimal("19.50")),
        (f"{PRODUCT} (Blue / M)", Decimal("21.00")),
    ]
    (olive, _, _), (blue, _, blue_id) = offered
    link = notice.context["action_url"]
    assert notice.context["language"] == "en"
    assert link.startswith(
        f"{live_saleor}/plugins/channel/{channel_USD.slug}/{PLUGIN_ID}/stock-shortage/"
        "?token="
    )
    assert link in notice.context["message"]
    # and the same link opened on a phone, left open without an answer
    phone = new_page(PHONE)
    assert phone.goto(link).status == 200
    phone_facts = phone.evaluate(PAGE_FACTS)
    assert (phone_facts["page"], phone_facts["wider_than_window"]) == ("choice", False)
    screenshot(phone, "choice-phone")

    # when the customer opens the link from the notice on a desktop
    response = desktop_page.goto(link)

    # then the page shows the item, the apology, the estimate and the options
    assert response.status == 200
    assert response.headers["content-language"] == "en"
    facts = desktop_page.evaluate(PAGE_FACTS)
    assert facts == {
        "lang": "en",
        "title": f"An item in your order is out of stock · {STORE_NAME}",
        "h1": ["An item in your order is out of stock"],
        "page": "choice",
        "unlabelled": [],
        "nameless_buttons": [],
        "legend": ["What would you like us to do?"],
        "wider_than_window": False,
    }
    assert _text(desktop_page, "#store-name") == STORE_NAME
    assert _text(desktop_page, "#item") == (
        f"Item: {ITEM}, in order {order_with_lines.number}."
    )
    assert _text(desktop_page, "#apology") == (
        f"We are sorry: {ITEM} from your order turned out not to be in stock. "
        "We would rather tell you now than let your order wait without a word."
    )
    month = ENGLISH_MONTHS[restock.month - 1]
    assert _text(desktop_page, "#estimate") == (
        f"We expect it back in stock by {month} {restock.day}, {restock.year}."
    )
    assert _labels(desktop_page) == [
        "Wait for it We send it as soon as it is back in stock.",
        f"Switch to {olive} $19.50 · In stock now",
        f"Switch to {blue} $21.00 · In stock now",
        "Cancel the item We take it off your order.",
    ]
    assert _text(desktop_page, "#support") == f"How to reach us {SUPPORT}"
    lowest = desktop_page.evaluate(LOWEST_CONTRAST)
    assert lowest["ratio"] >= 4.5, lowest
    screenshot(desktop_page, "choice")

    # and the keyboard reaches the options, then the button, in that order, each
    # outlined while it has the focus
    assert focus_order(desktop_page, presses=12) == [
        ("choice-wait", "solid 3px"),
        ("send-answer", "solid 3px"),
    ]

    # when the customer chooses the second alternative with the keyboard and sends it
    desktop_page.evaluate("() => document.activeElement.blur()")
    desktop_page.keyboard.press("Tab")
    desktop_page.keyboard.press("ArrowDown")
    desktop_page.keyboard.press("ArrowDown")
    desktop_page.keyboard.press("Space")
    focused = desktop_page.evaluate("() => document.activeElement.id")
    assert focused == "choice-switch-2"
    assert desktop_page.locator("#choice-switch-2").is_checked()
    assert desktop_page.locator("#choice-switch-2").get_attribute("value") == (
        f"switch:{blue_id}"
    )
    desktop_page.keyboard.press("Tab")
    assert desktop_page.evaluate("() => document.activeElement.id") == "send-answer"
    with desktop_page.expect_navigation() as navigation:
        desktop_page.keyboard.press("Enter")

    # then the confirmation says what was chosen
    assert navigation.value.status == 200
    assert _address(desktop_page.url) == (
        _address(link)[0],
        {**_address(link)[1], "answered": ["1"]},
    )
    facts = desktop_page.evaluate(PAGE_FACTS)
    assert (facts["page"], facts["h1"], facts["lang"]) == (
        "confirmation",
        ["Thank you for your answer"],
        "en",
    )
    assert _text(desktop_page, "#answer") == (
        f"Your answer: switch from {ITEM} to {blue}."
    )
    screenshot(desktop_page, "confirmation")
    # and the choice is recorded once, in the service history and the timeline
    shortage = StockShortage.objects.get()
    assert (shortage.choice, shortage.chosen_variant_id) == (
        "switch",
        int(graphene.Node.from_global_id(blue_id)[1]),
    )
    note = f"The customer chose to switch to {blue} ({ITEM} is out of stock)."
    entry = ServiceHistoryEntry.objects.get(type=EntryType.CUSTOMER_CHOICE)
    assert (entry.order_id, entry.user_id, entry.message) == (
        order_with_lines.pk,
        customer_user.pk,
        note,
    )
    assert (entry.actor, entry.contact_channel, entry.is_customer_visible) == (
        Actor.CUSTOMER,
        ContactChannel.WEB,
        True,
    )
    assert entry.details["alternativeVariantId"] == blue_id
    (event,) = OrderEvent.objects.filter(
        order=order_with_lines, type=OrderEvents.NOTE_ADDED
    )
    assert (event.parameters["message"], event.user_id, event.app_id) == (
        note,
        None,
        None,
    )
    assert _answers() == (1, 1, 1)

    # when the link is opened again
    response = desktop_page.goto(link)

    # then it is refused as used, with the answer it took
    assert response.status == 200
    facts = desktop_page.evaluate(PAGE_FACTS)
    assert (facts["page"], facts["h1"]) == (
        "already-answered",
        ["You have already answered"],
    )
    assert _text(desktop_page, "#answer") == (
        f"Your answer: switch from {ITEM} to {blue}."
    )
    assert desktop_page.locator("form").count() == 0
    screenshot(desktop_page, "already-answered")

    # when the phone, still showing the form, sends another answer
    phone.locator("label[for=choice-cancel]").click()
    with phone.expect_navigation() as navigation:
        phone.locator("#send-answer").click()

    # then it is refused too, and nothing more is recorded
    assert navigation.value.status == 409
    assert phone.evaluate(PAGE_FACTS)["page"] == "already-answered"
    assert _text(phone, "#answer") == f"Your answer: switch from {ITEM} to {blue}."
    assert _answers() == (1, 1, 1)
    assert StockShortage.objects.get().choice == "switch"
    assert len(shortage_notices(NoticeType.STOCK_SHORTAGE)) == 1


def test_a_polish_order_gets_the_page_in_polish(
    shortage_notice, order_with_lines, desktop_page
):
    # given the notice of a short line of an order placed in Polish
    notice, restock = shortage_notice("pl")
    (olive, _, _), (blue, _, _) = _alternatives(notice)
    assert notice.context["language"] == "pl"

    # when the customer opens its link
    response = desktop_page.goto(notice.context["action_url"])

    # then the page speaks Polish, with Polish dates and money
    assert response.status == 200
    assert response.headers["content-language"] == "pl"
    facts = desktop_page.evaluate(PAGE_FACTS)
    assert (facts["lang"], facts["h1"], facts["page"], facts["unlabelled"]) == (
        "pl",
        ["Produkt z Twojego zamówienia jest niedostępny w magazynie"],
        "choice",
        [],
    )
    assert facts["legend"] == ["Co mamy zrobić?"]
    assert _text(desktop_page, "#item") == (
        f"Pozycja: {ITEM}, w zamówieniu {order_with_lines.number}."
    )
    month = POLISH_MONTHS[restock.month - 1]
    assert _text(desktop_page, "#estimate") == (
        f"Spodziewamy się, że produkt wróci do magazynu do {restock.day} {month} "
        f"{restock.year}."
    )
    assert _labels(desktop_page) == [
        "Poczekaj na produkt Wyślemy go, gdy tylko wróci do magazynu.",
        f"Zamień na: {olive} 19,50 USD · Teraz w magazynie",
        f"Zamień na: {blue} 21,00 USD · Teraz w magazynie",
        "Anuluj tę pozycję Usuniemy ją z zamówienia.",
    ]
    assert _text(desktop_page, "#send-answer") == "Wyślij odpowiedź"
    # and the store's own words, given in Polish too
    assert (
        _text(desktop_page, "#support") == f"Jak się z nami skontaktować {SUPPORT_PL}"
    )
    screenshot(desktop_page, "choice-polish")

    # when the customer waits for the item
    desktop_page.locator("label[for=choice-wait]").click()
    with desktop_page.expect_navigation() as navigation:
        desktop_page.locator("#send-answer").click()

    # then the confirmation is Polish too, and staff read the note in English
    assert navigation.value.status == 200
    facts = desktop_page.evaluate(PAGE_FACTS)
    assert (facts["page"], facts["h1"], facts["lang"]) == (
        "confirmation",
        ["Dziękujemy za odpowiedź"],
        "pl",
    )
    assert StockShortage.objects.get().choice == "wait"
    (event,) = OrderEvent.objects.filter(
        order=order_with_lines, type=OrderEvents.NOTE_ADDED
    )
    assert event.parameters["message"] == (
        f"The customer chose to wait for the item ({ITEM} is out of stock)."
    )
