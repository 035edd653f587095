"""The survey page in a real browser: Debian's Chromium, headless, opens the
one-click link of a real survey notice on a live Saleor (after a mail scanner
fetched it, recording nothing), answers "No", ticks what went wrong, writes a
comment and sends it all with the keyboard; a Polish order gets the page in Polish.

``CS_SCREENSHOTS=docs/images`` saves the screenshots the documentation shows.
"""

import re
import urllib.request
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import browser
import pytest
from browser import LOWEST_CONTRAST, PHONE, focus_order, needs_browser, screenshot
from django.contrib.sites.models import Site
from django.utils import timezone
from saleor.order import OrderEvents
from saleor.order.models import OrderEvent
from survey_support import survey_settings

from saleor_cs_plugin.config import PLUGIN_ID
from saleor_cs_plugin.domain.alerts import AlertKind
from saleor_cs_plugin.domain.history import Actor, ContactChannel, EntryType
from saleor_cs_plugin.domain.notices import NoticeType
from saleor_cs_plugin.models import Notice, ServiceHistoryEntry, StaffAlert, Survey
from saleor_cs_plugin.surveys import schedule, sweep

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
SATISFIED = "Were you satisfied with how the entire process was handled?"
# The order's two lines, as the shop names them.
ITEMS = [("Linen shirt", "Sand / M"), ("Canvas tote", "Natural")]
COMMENT = "The box was crushed and nobody answered my e-mail."

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
    checked: [...document.querySelectorAll("input:checked")].map((i) => i.id),
    scripts: document.scripts.length,
    wider_than_window:
      document.documentElement.scrollWidth > document.documentElement.clientWidth,
  };
}"""


@pytest.fixture
def survey_notice(live_saleor, plugin_configuration, order_with_lines):
    """The completed-order survey of a real order, sent by the sweep a week after
    the order was handled. Returns a function of the order's language that gives
    the SURVEY notice."""

    def make(language="en"):
        Site.objects.filter(pk=Site.objects.get_current().pk).update(name=STORE_NAME)
        Site.objects.clear_cache()
        plugin_configuration(
            **survey_settings(
                support_contact=f"{SUPPORT}\n[pl]\n{SUPPORT_PL}",
                survey_completed_percent="100",
                survey_completed_days="7",
            )
        )
        order_with_lines.language_code = language
        order_with_lines.save(update_fields=["language_code"])
        for line, (product, variant) in zip(
            order_with_lines.lines.order_by("created_at", "pk"), ITEMS, strict=True
        ):
            line.product_name, line.variant_name = product, variant
            line.save(update_fields=["product_name", "variant_name"])
        now = timezone.now()
        schedule.schedule_completed(
            order_with_lines.pk, handled_at=now - timedelta(days=8)
        )
        sweep.sweep(now)
        (notice,) = Notice.objects.filter(notice_type=NoticeType.SURVEY)
        return notice

    return make


def _text(page, selector):
    return re.sub(r"\s+", " ", page.locator(selector).inner_text()).strip()


def _address(url):
    """(URL without its query, the query's values): the same whichever way the
    query is quoted."""
    parts = urlsplit(url)
    return parts._replace(query="").geturl(), parse_qs(parts.query)


def _recorded():
    """What answers left behind: answered surveys, history entries, alerts."""
    return (
        Survey.objects.exclude(answered_at=None).count(),
        ServiceHistoryEntry.objects.filter(type=EntryType.SURVEY_ANSWERED).count(),
        StaffAlert.objects.filter(kind=AlertKind.SURVEY_CALL_BACK).count(),
    )


def test_the_customer_answers_no_from_the_notice_with_the_keyboard(
    live_saleor,
    survey_notice,
    order_with_lines,
    customer_user,
    channel_USD,
    desktop_page,
    new_page,
):
    # given the survey notice of a completed order, sent in English
    notice = survey_notice("en")
    link = notice.context["action_url"]
    no_link = notice.context["data"]["answerUrls"]["no"]
    survey_path = (
        f"{live_saleor}/plugins/channel/{channel_USD.slug}/{PLUGIN_ID}/survey/"
    )
    assert _address(link)[0] == survey_path
    assert _address(no_link) == (
        survey_path,
        {**_address(link)[1], "answer": ["no"]},
    )
    assert no_link in notice.context["message"]

    # when the mail service's link scanner fetches the one-click links
    for url in notice.context["data"]["answerUrls"].values():
        with urllib.request.urlopen(url, timeout=30) as scanned:
            assert scanned.status == 200

    # then nothing is recorded
    assert _recorded() == (0, 0, 0)

    # and the "No" link opened on a phone, left open without an answer
    phone = new_page(PHONE)
    assert phone.goto(no_link).status == 200
    phone_facts = phone.evaluate(PAGE_FACTS)
    assert (phone_facts["page"], phone_facts["wider_than_window"]) == ("survey", False)
    assert phone_facts["checked"] == ["satisfied-no"]
    screenshot(phone, "phone", prefix="survey")

    # when the customer opens the "No" link on a desktop
    response = desktop_page.goto(no_link)

    # then every question is on the page, "No" chosen for the first one
    assert response.status == 200
    assert response.headers["content-language"] == "en"
    facts = desktop_page.evaluate(PAGE_FACTS)
    assert facts == {
        "lang": "en",
        "title": f"How did we do? · {STORE_NAME}",
        "h1": ["How did we do?"],
        "page": "survey",
        "unlabelled": [],
        "nameless_buttons": [],
        "legend": [
            SATISFIED,
            "If not: What went wrong?",
            "If not: Did we handle the problem the way you wanted?",
        ],
        "checked": ["satisfied-no"],
        "scripts": 0,
        "wider_than_window": False,
    }
    assert _text(desktop_page, "#survey-order") == (
        f"About order {order_with_lines.number}"
    )
    assert _text(desktop_page, "#survey-items") == (
        "Linen shirt (Sand / M) Canvas tote (Natural)"
    )
    assert _text(desktop_page, "#one-click-note") == (
        "We have chosen the answer you clicked in our message. It is recorded when "
        "you send this form."
    )
    closes = Survey.objects.get().closes_at
    assert _text(desktop_page, "#survey-closes").startswith(
        f"You can change your answers until {closes:%B} {closes.day}, {closes.year}"
    )
    assert _text(desktop_page, "#support") == f"How to reach us {SUPPORT}"
    lowest = desktop_page.evaluate(LOWEST_CONTRAST)
    assert lowest["ratio"] >= 4.5, lowest
    # and opening it recorded nothing either
    assert _recorded() == (0, 0, 0)

    # and the keyboard reaches every control in reading order, each outlined
    wrong = [
        "late",
        "damaged",
        "wrong-item",
        "missing-or-out-of-stock",
        "coupon-or-price",
        "hard-to-reach",
        "slow-answer",
        "other",
    ]
    assert focus_order(desktop_page) == [
        ("satisfied-no", "solid 3px"),
        *[(f"what-went-wrong-{thing}", "solid 3px") for thing in wrong],
        ("handled-as-wanted-yes", "solid 3px"),
        ("comment", "solid 3px"),
        ("send-answers", "solid 3px"),
    ]

    # when the customer, with the keyboard only, keeps "No", ticks what went wrong,
    # says the problem was not handled as wanted and writes a comment
    desktop_page.evaluate("() => document.activeElement.blur()")
    desktop_page.keyboard.press("Tab")
    assert desktop_page.evaluate("() => document.activeElement.id") == "satisfied-no"
    desktop_page.keyboard.press("Tab")
    desktop_page.keyboard.press("Space")  # It was late
    desktop_page.keyboard.press("Tab")
    desktop_page.keyboard.press("Space")  # Something arrived damaged
    for _ in range(5):
        desktop_page.keyboard.press("Tab")
    desktop_page.keyboard.press("Space")  # An answer took too long
    desktop_page.keyboard.press("Tab")
    desktop_page.keyboard.press("Tab")
    assert desktop_page.evaluate("() => document.activeElement.id") == (
        "handled-as-wanted-yes"
    )
    desktop_page.keyboard.press("ArrowRight")  # moves to "No" and chooses it
    desktop_page.keyboard.press("Tab")
    assert desktop_page.evaluate("() => document.activeElement.id") == "comment"
    desktop_page.keyboard.type(COMMENT)
    assert desktop_page.evaluate(PAGE_FACTS)["checked"] == [
        "satisfied-no",
        "what-went-wrong-late",
        "what-went-wrong-damaged",
        "what-went-wrong-slow-answer",
        "handled-as-wanted-no",
    ]
    screenshot(desktop_page, "desktop", prefix="survey")
    desktop_page.keyboard.press("Tab")
    assert desktop_page.evaluate("() => document.activeElement.id") == "send-answers"
    with desktop_page.expect_navigation() as navigation:
        desktop_page.keyboard.press("Enter")

    # then the confirmation shows what was recorded
    assert navigation.value.status == 200
    assert _address(desktop_page.url) == (
        survey_path,
        {**_address(link)[1], "answered": ["1"]},
    )
    facts = desktop_page.evaluate(PAGE_FACTS)
    assert (facts["page"], facts["h1"], facts["lang"]) == (
        "survey-confirmation",
        ["Thank you for your answers"],
        "en",
    )
    assert _text(desktop_page, "#survey-answers") == (
        f"{SATISFIED} No What went wrong? It was late, Something arrived damaged, "
        "An answer took too long Did we handle the problem the way you wanted? No "
        f"Your comment {COMMENT}"
    )
    screenshot(desktop_page, "confirmation", prefix="survey")

    # and the answers are on the survey, once in the service history, and the staff
    # are asked to call the customer back
    survey = Survey.objects.get()
    assert (
        survey.satisfied,
        survey.what_went_wrong,
        survey.handled_as_wanted,
        survey.comment,
    ) == (False, ["late", "damaged", "slow_answer"], False, COMMENT)
    assert survey.first_answered_at == survey.answered_at
    entry = ServiceHistoryEntry.objects.get(type=EntryType.SURVEY_ANSWERED)
    assert (entry.order_id, entry.user_id, entry.is_customer_visible) == (
        order_with_lines.pk,
        customer_user.pk,
        True,
    )
    assert (entry.actor, entry.contact_channel) == (Actor.CUSTOMER, ContactChannel.WEB)
    assert entry.details["whatWentWrong"] == ["late", "damaged", "slow_answer"]
    assert _recorded() == (1, 1, 1)
    assert (
        OrderEvent.objects.filter(
            order=order_with_lines, type=OrderEvents.NOTE_ADDED
        ).count()
        == 1
    )

    # when the phone, still showing the form with only "No", sends it
    with phone.expect_navigation() as navigation:
        phone.locator("#send-answers").click()

    # then the answers are that form's now (a change until the survey closes),
    # and the staff were asked once
    assert navigation.value.status == 200
    assert phone.evaluate(PAGE_FACTS)["page"] == "survey-confirmation"
    survey.refresh_from_db()
    assert (survey.satisfied, survey.what_went_wrong, survey.comment) == (False, [], "")
    assert survey.handled_as_wanted is False
    assert _recorded() == (1, 2, 1)


def test_a_polish_order_gets_the_survey_in_polish(survey_notice, desktop_page):
    # given the survey notice of an order placed in Polish
    notice = survey_notice("pl")
    assert notice.context["language"] == "pl"

    # when the customer opens its link
    response = desktop_page.goto(notice.context["action_url"])

    # then the page speaks Polish, with nothing chosen
    assert response.status == 200
    assert response.headers["content-language"] == "pl"
    facts = desktop_page.evaluate(PAGE_FACTS)
    assert (facts["lang"], facts["h1"], facts["page"], facts["unlabelled"]) == (
        "pl",
        ["Jak nam poszło?"],
        "survey",
        [],
    )
    assert facts["legend"] == [
        "Czy jesteś zadowolony z przebiegu całego zamówienia?",
        "Jeśli nie: Co poszło nie tak?",
        "Jeśli nie: Czy rozwiązaliśmy problem tak, jak chciałeś?",
    ]
    assert facts["checked"] == []
    assert _text(desktop_page, "#send-answers") == "Wyślij odpowiedzi"
    assert (
        _text(desktop_page, "#support") == f"Jak się z nami skontaktować {SUPPORT_PL}"
    )
    screenshot(desktop_page, "polish", prefix="survey")

    # when the customer says yes
    desktop_page.locator("label[for=satisfied-yes]").click()
    with desktop_page.expect_navigation() as navigation:
        desktop_page.locator("#send-answers").click()

    # then the confirmation is Polish too
    assert navigation.value.status == 200
    facts = desktop_page.evaluate(PAGE_FACTS)
    assert (facts["page"], facts["h1"], facts["lang"]) == (
        "survey-confirmation",
        ["Dziękujemy za odpowiedzi"],
        "pl",
    )
    assert _text(desktop_page, "#survey-answers") == (
        "Czy jesteś zadowolony z przebiegu całego zamówienia? Tak"
    )
    survey = Survey.objects.get()
    assert (survey.satisfied, survey.handled_as_wanted) == (True, None)
    assert _recorded() == (1, 1, 0)
