"""The problem-report page in a real browser: Debian's Chromium, headless, opens the
link of a real order on a live Saleor, sends the form without a kind (shown again,
the text kept), then chooses one with the keyboard and sends it: one report, one
staff alert. A Polish order gets the page in Polish; a phone gets it in one column.

``CS_SCREENSHOTS=docs/images`` saves the screenshots the documentation shows.
"""

import re
from urllib.parse import parse_qs, urlsplit

import browser
import pytest
from browser import LOWEST_CONTRAST, PHONE, focus_order, needs_browser, screenshot
from django.contrib.sites.models import Site
from problem_support import (
    STORE_NAME,
    SUPPORT,
    SUPPORT_PL,
    recorded,
    report_settings,
    reports,
)

from saleor_cs_plugin import fetch
from saleor_cs_plugin.config import PLUGIN_ID
from saleor_cs_plugin.domain.alerts import AlertKind
from saleor_cs_plugin.models import StaffAlert
from saleor_cs_plugin.pages.links import problem_report_link

pytestmark = needs_browser()

# The browser's fixtures, for the tests here.
chromium = browser.chromium
desktop_page = browser.desktop_page
live_saleor = browser.live_saleor
new_page = browser.new_page
replica_as_mirror = browser.replica_as_mirror

# The order's two lines, as the shop names them.
ITEMS = [("Linen shirt", "Sand / M"), ("Canvas tote", "Natural")]
TEXT = "The tote arrived torn along one side, and the shirt is missing a button."

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
    legend: [...document.querySelectorAll("fieldset > legend")].map(text),
    checked: [...document.querySelectorAll("input:checked")].map((i) => i.id),
    alerts: [...document.querySelectorAll("[role=alert]")].map(text),
    scripts: document.scripts.length,
    wider_than_window:
      document.documentElement.scrollWidth > document.documentElement.clientWidth,
  };
}"""


@pytest.fixture
def report_link(live_saleor, plugin_configuration, order_with_lines):
    """The problem-report link of a real order of the USD channel, whose items
    have the shop's names; a function of the order's language."""

    def make(language="en"):
        Site.objects.filter(pk=Site.objects.get_current().pk).update(name=STORE_NAME)
        Site.objects.clear_cache()
        plugin_configuration(**report_settings())
        order_with_lines.language_code = language
        order_with_lines.save(update_fields=["language_code"])
        for line, (product, variant) in zip(
            order_with_lines.lines.order_by("created_at", "pk"), ITEMS, strict=True
        ):
            line.product_name, line.variant_name = product, variant
            line.save(update_fields=["product_name", "variant_name"])
        plugin = fetch.channel_plugin(order_with_lines.channel_id)
        return problem_report_link(order_with_lines, plugin.settings)

    return make


def _text(page, selector):
    return re.sub(r"\s+", " ", page.locator(selector).inner_text()).strip()


def _address(url):
    parts = urlsplit(url)
    return parts._replace(query="").geturl(), parse_qs(parts.query)


def test_the_customer_reports_a_damaged_item_with_the_keyboard(
    live_saleor, report_link, order_with_lines, channel_USD, desktop_page, new_page
):
    # given the link of an order
    link = report_link("en")
    path = (
        f"{live_saleor}/plugins/channel/{channel_USD.slug}/{PLUGIN_ID}/report-problem/"
    )
    assert _address(link) == (path, {"order": [str(order_with_lines.pk)]})

    # when a phone opens it
    phone = new_page(PHONE)
    assert phone.goto(link).status == 200
    phone_facts = phone.evaluate(PAGE_FACTS)
    assert (phone_facts["page"], phone_facts["wider_than_window"]) == (
        "problem-report",
        False,
    )
    screenshot(phone, "phone", prefix="problem-report")

    # when the customer opens it on a desktop
    response = desktop_page.goto(link)

    # then the page shows the order, the kinds and the text field, all labelled
    assert response.status == 200
    assert response.headers["content-language"] == "en"
    assert desktop_page.evaluate(PAGE_FACTS) == {
        "lang": "en",
        "title": f"Report a problem with your order · {STORE_NAME}",
        "h1": ["Report a problem with your order"],
        "page": "problem-report",
        "unlabelled": [],
        "legend": ["What is the problem about?"],
        "checked": [],
        "alerts": [],
        "scripts": 0,
        "wider_than_window": False,
    }
    assert _text(desktop_page, "#report-order") == (
        f"About order {order_with_lines.number}"
    )
    assert _text(desktop_page, "#report-items") == (
        "Linen shirt (Sand / M) Canvas tote (Natural)"
    )
    assert _text(desktop_page, "#support") == f"How to reach us {SUPPORT}"
    lowest = desktop_page.evaluate(LOWEST_CONTRAST)
    assert lowest["ratio"] >= 4.5, lowest
    # and the keyboard reaches the kinds (one radio group), the text and the button
    assert focus_order(desktop_page) == [
        ("problem-late", "solid 3px"),
        ("text", "solid 3px"),
        ("send-report", "solid 3px"),
    ]

    # when the customer writes what happened and sends it without a kind
    desktop_page.locator("#text").fill(TEXT)
    with desktop_page.expect_navigation() as navigation:
        desktop_page.locator("#send-report").click()

    # then the form is back, the error beside the kinds, the text kept
    assert navigation.value.status == 400
    facts = desktop_page.evaluate(PAGE_FACTS)
    assert (facts["page"], facts["alerts"], facts["checked"]) == (
        "problem-report",
        ["Choose what the problem is about."],
        [],
    )
    assert desktop_page.locator("#text").input_value() == TEXT
    assert recorded() == (0, 0, 0)
    screenshot(desktop_page, "error", prefix="problem-report")

    # when, with the keyboard only, the customer chooses "Something arrived damaged"
    # and sends the form
    desktop_page.evaluate("() => document.activeElement.blur()")
    desktop_page.keyboard.press("Tab")
    assert desktop_page.evaluate("() => document.activeElement.id") == "problem-late"
    desktop_page.keyboard.press("ArrowDown")  # moves to the next kind and chooses it
    assert desktop_page.evaluate(PAGE_FACTS)["checked"] == ["problem-damaged"]
    screenshot(desktop_page, "desktop", prefix="problem-report")
    desktop_page.keyboard.press("Tab")
    desktop_page.keyboard.press("Tab")
    assert desktop_page.evaluate("() => document.activeElement.id") == "send-report"
    with desktop_page.expect_navigation() as navigation:
        desktop_page.keyboard.press("Enter")

    # then the confirmation says what was reported and how the store answers
    assert navigation.value.status == 200
    assert _address(desktop_page.url) == (
        path,
        {"order": [str(order_with_lines.pk)], "answered": ["1"]},
    )
    facts = desktop_page.evaluate(PAGE_FACTS)
    assert (facts["page"], facts["h1"], facts["lang"]) == (
        "problem-report-confirmation",
        ["Thank you for your report"],
        "en",
    )
    assert _text(desktop_page, "#report-problem") == (
        "Your report: Something arrived damaged"
    )
    assert _text(desktop_page, "#report-answer") == (
        "We will answer you by e-mail, at the address of your order."
    )
    screenshot(desktop_page, "confirmation", prefix="problem-report")

    # and the report is filed once, with the staff alerted
    assert reports() == [
        (
            "damaged",
            f"Problem reported: something arrived damaged.\n\n{TEXT}",
            order_with_lines.pk,
        )
    ]
    alert = StaffAlert.objects.get(kind=AlertKind.PROBLEM_REPORTED)
    assert alert.order_id == order_with_lines.pk
    assert recorded() == (1, 1, 1)

    # when the confirmation is reloaded
    assert desktop_page.reload().status == 200

    # then nothing more is filed
    assert recorded() == (1, 1, 1)


def test_a_polish_order_gets_the_page_in_polish(report_link, desktop_page):
    # given the link of an order placed in Polish
    link = report_link("pl")

    # when the customer opens it
    response = desktop_page.goto(link)

    # then the page speaks Polish
    assert response.status == 200
    assert response.headers["content-language"] == "pl"
    facts = desktop_page.evaluate(PAGE_FACTS)
    assert (facts["lang"], facts["h1"], facts["legend"], facts["unlabelled"]) == (
        "pl",
        ["Zgłoś problem z zamówieniem"],
        ["Czego dotyczy problem?"],
        [],
    )
    assert _text(desktop_page, "label[for=problem-late]") == (
        "Moje zamówienie się spóźnia"
    )
    assert _text(desktop_page, "#send-report") == "Wyślij zgłoszenie"
    assert (
        _text(desktop_page, "#support") == f"Jak się z nami skontaktować {SUPPORT_PL}"
    )
    desktop_page.locator("label[for=problem-late]").click()
    desktop_page.locator("#text").fill("Paczka nie dotarła od dwóch tygodni.")
    screenshot(desktop_page, "polish", prefix="problem-report")

    # when the customer sends the form
    with desktop_page.expect_navigation() as navigation:
        desktop_page.locator("#send-report").click()

    # then the confirmation is Polish too
    assert navigation.value.status == 200
    facts = desktop_page.evaluate(PAGE_FACTS)
    assert (facts["page"], facts["h1"], facts["lang"]) == (
        "problem-report-confirmation",
        ["Dziękujemy za zgłoszenie"],
        "pl",
    )
    assert _text(desktop_page, "#report-problem") == (
        "Twoje zgłoszenie: Moje zamówienie się spóźnia"
    )
    assert recorded() == (1, 1, 1)
