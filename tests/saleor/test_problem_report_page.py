"""The problem-report page the plugin serves through Saleor's plugin URL, reached
over real HTTP on a live Saleor: opened with Saleor's token of the order, it shows
that order and takes one report per send (a web conversation message with the
order, a staff alert), in the order's language, with a CSRF-protected form, the
errors in the customer's words, bad links counted by the throttle and at most 5
reports per order in 24 hours.
"""

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import browser
import pytest
from django.contrib.sites.models import Site
from django.utils import timezone
from problem_support import (
    NOTHING,
    STORE_NAME,
    SUPPORT,
    Customer,
    checked,
    hidden_fields,
    recorded,
    report_settings,
    reports,
    text_field,
)
from saleor.order import OrderStatus
from shortage_support import configure_channel, item_name, page_path, read_page

from saleor_cs_plugin.config import ChannelSettings
from saleor_cs_plugin.conversations.report import MAX_REPORTS_PER_DAY
from saleor_cs_plugin.domain.alerts import AlertKind
from saleor_cs_plugin.domain.history import ContactChannel
from saleor_cs_plugin.models import Conversation, ConversationMessage, StaffAlert
from saleor_cs_plugin.pages import throttle
from saleor_cs_plugin.config import parse_channel_settings
from saleor_cs_plugin.pages.links import problem_report_link

pytestmark = pytest.mark.usefixtures("fresh_cache")

# The browser's fixtures: the live Saleor.
live_saleor = browser.live_saleor
replica_as_mirror = browser.replica_as_mirror

PAGE = "report-problem"
KINDS = [
    ("late", "My order is late"),
    ("damaged", "Something arrived damaged"),
    ("wrong_item", "I got the wrong item"),
    ("missing_item", "An item is missing"),
    ("coupon_or_price", "A coupon or the price is wrong"),
    ("other", "Something else"),
]
TEXT = "The box was crushed and the mug inside is broken."


@pytest.fixture
def shop(live_saleor, plugin_configuration):
    """Saleor serving the plugin's pages in the USD channel; returns a function
    that sets the plugin's settings (the defaults of the page's tests)."""
    Site.objects.filter(pk=Site.objects.get_current().pk).update(name=STORE_NAME)
    Site.objects.clear_cache()

    def configure(**extra):
        return plugin_configuration(**report_settings(**extra))

    return configure


@pytest.fixture
def customer(live_saleor):
    return Customer(live_saleor)


def _open(customer, channel, order):
    return customer.get(page_path(channel, PAGE), {"order": str(order.pk)})


def _send(customer, channel, order, answers, *, token=None):
    """Open the page of ``order``, then send its form with ``answers``
    (``token``: another value of its ``order`` field)."""
    form = hidden_fields(_open(customer, channel, order))
    if token is not None:
        form["order"] = token
    return customer.post(page_path(channel, PAGE), {**form, **answers})


def _address(url):
    parts = urlsplit(url)
    return parts.path, parse_qs(parts.query)


def _items(order):
    return " ".join(
        item_name(line) for line in order.lines.order_by("created_at", "pk")
    )


def test_the_page_shows_the_order_and_the_kinds_of_problem(
    shop, customer, order_with_lines, channel_USD
):
    shop()

    response = _open(customer, channel_USD, order_with_lines)

    assert response.status_code == 200
    assert response.headers["Content-Language"] == "en"
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "form-action 'self'" in response.headers["Content-Security-Policy"]
    page, texts, inputs = read_page(response)
    assert page == "problem-report"
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert f"<title>Report a problem with your order · {STORE_NAME}</title>" in html
    assert texts["report-order"] == f"About order {order_with_lines.number}"
    assert texts["report-items"] == _items(order_with_lines)
    assert order_with_lines.lines.count() == 2
    assert texts["report-intro"] == (
        "Tell us what went wrong, and we will answer you by e-mail."
    )
    assert texts["question-problem"] == "What is the problem about? " + " ".join(
        label for _, label in KINDS
    )
    assert [
        (i["type"], i["name"], i["id"], i["value"]) for i in inputs if "id" in i
    ] == [
        ("radio", "problem", f"problem-{value.replace('_', '-')}", value)
        for value, _ in KINDS
    ]
    for value, label in KINDS:
        element = f"problem-{value.replace('_', '-')}"
        assert (
            f'<label for="{element}"><span class="title">{label}</span></label>' in html
        )
    assert texts["text-label"] == "What happened?"
    assert '<label for="text" id="text-label">' in html
    assert (
        '<textarea id="text" name="text" rows="6" maxlength="5000" '
        'aria-describedby="text-hint">'
    ) in html
    assert text_field(response) == ""
    assert texts["text-hint"] == "In your own words, at most 5,000 characters."
    assert texts["send-report"] == "Send my report"
    assert texts["support"] == f"How to reach us {SUPPORT}"
    assert checked(response) == []
    assert set(hidden_fields(response)) == {"order", "csrfmiddlewaretoken"}
    assert hidden_fields(response)["order"] == str(order_with_lines.pk)
    assert "csrftoken" in response.cookies
    assert "form-error" not in texts
    assert recorded() == NOTHING


def test_a_sent_report_is_filed_once_and_confirmed(
    shop, customer, order_with_lines, channel_USD, customer_user
):
    shop()
    path = page_path(channel_USD, PAGE)

    # when the customer sends the form
    response = _send(
        customer,
        channel_USD,
        order_with_lines,
        {"problem": "damaged", "text": f"  {TEXT}\r\nPlease send another.  "},
    )

    # then the browser is sent to the confirmation
    assert response.status_code == 303
    assert _address(response.headers["Location"]) == (
        path,
        {"order": [str(order_with_lines.pk)], "answered": ["1"]},
    )
    # and the report is filed once, on the web, with the order and its kind
    assert reports() == [
        (
            "damaged",
            "Problem reported: something arrived damaged.\n\n"
            f"{TEXT}\nPlease send another.",
            order_with_lines.pk,
        )
    ]
    conversation = Conversation.objects.get()
    assert (
        conversation.contact_channel,
        conversation.order_id,
        conversation.user_id,
        conversation.customer_email,
    ) == (
        ContactChannel.WEB,
        order_with_lines.pk,
        customer_user.pk,
        order_with_lines.user_email,
    )
    alert = StaffAlert.objects.get(kind=AlertKind.PROBLEM_REPORTED)
    assert (alert.order_id, alert.channel_id) == (order_with_lines.pk, channel_USD.pk)
    assert recorded() == (1, 1, 1)

    # when the browser follows to the confirmation, and reloads it
    confirmation = customer.get(response.headers["Location"])
    again = customer.get(response.headers["Location"])

    # then it says what was reported and how the store answers, recording nothing
    assert confirmation.status_code == 200
    page, texts, _ = read_page(confirmation)
    assert page == "problem-report-confirmation"
    assert texts["report-order"] == f"About order {order_with_lines.number}"
    assert texts["report-problem"] == "Your report: Something arrived damaged"
    assert texts["report-answer"] == (
        "We will answer you by e-mail, at the address of your order."
    )
    assert "report-answer-by" not in texts
    assert _address(_link(confirmation)) == (
        path,
        {"order": [str(order_with_lines.pk)]},
    )
    assert again.status_code == 200
    assert read_page(again)[0] == "problem-report-confirmation"
    assert recorded() == (1, 1, 1)


def _link(response, element="report-again"):
    """The address of a link of the page."""
    html = response.content.decode()
    start = html.index(f'id="{element}" href="') + len(f'id="{element}" href="')
    return html[start : html.index('"', start)].replace("&amp;", "&")


def test_the_confirmation_without_a_report_shows_the_form(
    shop, customer, order_with_lines, channel_USD
):
    shop()

    response = customer.get(
        page_path(channel_USD, PAGE),
        {"order": str(order_with_lines.pk), "answered": "1"},
    )

    assert response.status_code == 200
    assert read_page(response)[0] == "problem-report"
    assert recorded() == NOTHING


def test_out_of_answering_hours_the_confirmation_says_by_when(
    shop, customer, order_with_lines, channel_USD
):
    # given answering hours of one hour a day that are over for today (UTC)
    now = timezone.now()
    hour = now.hour
    if hour < 1:
        pytest.skip("The test needs an hour of the day that is over; it is 0:xx.")
    shop(
        answer_hours=f"{hour - 1}-{hour}",
        answer_targets="web 30 minutes",
        time_zone="UTC",
    )
    opens = datetime(now.year, now.month, now.day, hour - 1, tzinfo=UTC)
    due = opens + timedelta(days=1, minutes=30)

    response = _send(
        customer, channel_USD, order_with_lines, {"problem": "late", "text": TEXT}
    )
    confirmation = customer.get(response.headers["Location"])

    _, texts, _ = read_page(confirmation)
    clock = f"{due.hour % 12 or 12}:30 {'AM' if due.hour < 12 else 'PM'}"
    assert texts["report-answer-by"] == (
        "Nobody is answering at the moment; we will answer you by "
        f"{due:%B} {due.day}, {due.year}, {clock} UTC."
    )


@pytest.mark.parametrize(
    ("answers", "errors", "kept_checked"),
    [
        (
            {"text": TEXT},
            {"problem-error": "Choose what the problem is about."},
            [],
        ),
        (
            {"problem": "broken", "text": TEXT},
            {"problem-error": "Choose what the problem is about."},
            [],
        ),
        (
            {"problem": "late", "text": ""},
            {"text-error": "Tell us in a few words what happened."},
            ["problem-late"],
        ),
        (
            {"problem": "wrong_item", "text": " \r\n\t "},
            {"text-error": "Tell us in a few words what happened."},
            ["problem-wrong-item"],
        ),
        (
            {"problem": "other", "text": "x" * 5001},
            {"text-error": "Your text is too long: at most 5,000 characters."},
            ["problem-other"],
        ),
        (
            {"problem": "other", "text": "Broken\x00 mug"},
            {
                "text-error": "Your text has a character we cannot take. Remove "
                "any special characters and send it again."
            },
            ["problem-other"],
        ),
        (
            {},
            {
                "problem-error": "Choose what the problem is about.",
                "text-error": "Tell us in a few words what happened.",
            },
            [],
        ),
    ],
    ids=[
        "no-kind",
        "unknown-kind",
        "empty-text",
        "blank-text",
        "too-long",
        "control-character",
        "nothing",
    ],
)
def test_a_form_with_a_problem_is_shown_again_with_the_text_kept(
    answers, errors, kept_checked, shop, customer, order_with_lines, channel_USD
):
    shop()

    response = _send(customer, channel_USD, order_with_lines, answers)

    assert response.status_code == 400
    page, texts, _ = read_page(response)
    assert page == "problem-report"
    assert {
        element: texts[element]
        for element in ("problem-error", "text-error", "form-error")
        if element in texts
    } == errors
    assert checked(response) == kept_checked
    assert text_field(response) == answers.get("text", "").replace("\r\n", "\n")
    html = response.content.decode()
    if "text-error" in errors:
        assert 'aria-describedby="text-hint text-error" aria-invalid="true"' in html
    if "problem-error" in errors:
        assert '<fieldset id="question-problem" aria-describedby="problem-error">' in (
            html
        )
    assert recorded() == NOTHING


def test_a_text_of_exactly_the_limit_is_taken(
    shop, customer, order_with_lines, channel_USD
):
    shop()
    # 5,000 characters as the text field counts them: its line breaks are one.
    text = ("a" * 99 + "\n") * 50
    sent = text.replace("\n", "\r\n")

    response = _send(
        customer, channel_USD, order_with_lines, {"problem": "other", "text": sent}
    )

    assert response.status_code == 303
    assert reports() == [
        (
            "other",
            f"Problem reported: another problem.\n\n{text.strip()}",
            order_with_lines.pk,
        )
    ]


@pytest.mark.parametrize(
    "token",
    ["", "not-a-token", "cut-short", "unknown", "draft", "other-channel"],
)
def test_a_wrong_token_is_an_invalid_link_and_changes_nothing(
    token,
    shop,
    customer,
    order_with_lines,
    order_generator,
    channel_USD,
    channel_PLN,
):
    shop()
    configure_channel(channel_PLN, **report_settings())
    tokens = {
        "cut-short": str(order_with_lines.pk)[:-1],
        "unknown": str(uuid.uuid4()),
        "draft": str(order_generator(status=OrderStatus.DRAFT).pk),
        "other-channel": str(
            order_generator(channel=channel_PLN, currency=channel_PLN.currency_code).pk
        ),
    }
    token = tokens.get(token, token)
    path = page_path(channel_USD, PAGE)

    shown = customer.get(path, {"order": token})
    sent = _send(
        customer,
        channel_USD,
        order_with_lines,
        {"problem": "late", "text": TEXT},
        token=token,
    )

    for response in (shown, sent):
        assert response.status_code == 400
        page, texts, _ = read_page(response)
        assert page == "invalid-link"
        assert "report-order" not in texts
        assert "report-form" not in texts
    assert recorded() == NOTHING


def test_another_orders_token_shows_and_takes_only_that_order(
    shop, customer, order_with_lines, order_generator, channel_USD
):
    # given a second order of the same customer, with one of the lines
    shop()
    other = order_generator()
    moved = order_with_lines.lines.order_by("created_at", "pk").last()
    moved.order = other
    moved.save(update_fields=["order"])

    # when the second order's link is opened and its report sent
    shown = _open(customer, channel_USD, other)
    sent = _send(
        customer, channel_USD, other, {"problem": "missing_item", "text": TEXT}
    )

    # then the page is about that order alone, and so is the report
    _, texts, _ = read_page(shown)
    assert texts["report-order"] == f"About order {other.number}"
    assert texts["report-items"] == item_name(moved)
    assert str(order_with_lines.number) not in texts["report-order"]
    assert item_name(order_with_lines.lines.get()) not in shown.content.decode()
    assert sent.status_code == 303
    assert reports() == [
        (
            "missing_item",
            f"Problem reported: an item is missing.\n\n{TEXT}",
            other.pk,
        )
    ]
    assert reports(order_with_lines) == []
    assert StaffAlert.objects.get(kind=AlertKind.PROBLEM_REPORTED).order_id == other.pk


def test_a_polish_order_gets_the_page_in_polish(
    shop, customer, order_with_lines, channel_USD
):
    shop()
    order_with_lines.language_code = "pl"
    order_with_lines.save(update_fields=["language_code"])

    shown = _open(customer, channel_USD, order_with_lines)
    refused = _send(customer, channel_USD, order_with_lines, {"text": TEXT})
    sent = _send(
        customer,
        channel_USD,
        order_with_lines,
        {"problem": "coupon_or_price", "text": TEXT},
    )
    confirmation = customer.get(sent.headers["Location"])

    assert shown.headers["Content-Language"] == "pl"
    assert '<html lang="pl">' in shown.content.decode()
    _, texts, _ = read_page(shown)
    assert texts["report-order"] == f"Dotyczy zamówienia {order_with_lines.number}"
    assert texts["question-problem"] == (
        "Czego dotyczy problem? Moje zamówienie się spóźnia Coś dotarło uszkodzone "
        "Dostałem niewłaściwy produkt Brakuje produktu Kupon lub cena się nie "
        "zgadzają Coś innego"
    )
    assert texts["text-label"] == "Co się stało?"
    assert texts["text-hint"] == "Własnymi słowami, najwyżej 5 000 znaków."
    assert texts["send-report"] == "Wyślij zgłoszenie"
    assert (
        texts["support"] == "Jak się z nami skontaktować Zadzwoń do nas: +1 555 0100."
    )
    assert refused.status_code == 400
    assert read_page(refused)[1]["problem-error"] == "Wybierz, czego dotyczy problem."
    assert text_field(refused) == TEXT
    assert confirmation.headers["Content-Language"] == "pl"
    _, texts, _ = read_page(confirmation)
    assert texts["report-problem"] == (
        "Twoje zgłoszenie: Kupon lub cena się nie zgadzają"
    )
    assert texts["report-answer"] == (
        "Odpowiemy Ci e-mailem na adres podany w zamówieniu."
    )
    # what staff read stays in English
    assert reports() == [
        (
            "coupon_or_price",
            f"Problem reported: a coupon or the price is wrong.\n\n{TEXT}",
            order_with_lines.pk,
        )
    ]


@pytest.mark.parametrize("missing", ["cookie", "field", "mismatch", "other-site"])
def test_a_post_without_the_csrf_check_is_refused_and_records_nothing(
    missing, shop, customer, order_with_lines, channel_USD
):
    shop()
    path = page_path(channel_USD, PAGE)
    data = {
        **hidden_fields(_open(customer, channel_USD, order_with_lines)),
        "problem": "late",
        "text": TEXT,
    }
    headers = {}
    if missing == "field":
        del data["csrfmiddlewaretoken"]
    if missing == "cookie":
        customer.session.cookies.clear()
    if missing == "mismatch":
        data["csrfmiddlewaretoken"] = "x" * 64
    if missing == "other-site":
        headers = {"Origin": "https://evil.example.net"}

    response = customer.post(path, data, headers=headers)

    assert response.status_code == 403
    page, texts, _ = read_page(response)
    assert page == "form-expired"
    assert texts["page-again"] == "Open the page again and send your answer"
    assert _address(_link(response, "page-again")) == (
        path,
        {"order": [str(order_with_lines.pk)]},
    )
    assert recorded() == NOTHING


def test_more_reports_than_a_day_takes_are_refused_with_the_text_kept(
    shop, customer, order_with_lines, channel_USD
):
    shop()
    for number in range(MAX_REPORTS_PER_DAY):
        response = _send(
            customer,
            channel_USD,
            order_with_lines,
            {"problem": "other", "text": f"Report {number + 1}"},
        )
        assert response.status_code == 303

    refused = _send(
        customer, channel_USD, order_with_lines, {"problem": "late", "text": TEXT}
    )

    assert refused.status_code == 400
    page, texts, _ = read_page(refused)
    assert page == "problem-report"
    assert texts["form-error"] == (
        "You have sent as many reports about this order as we take in a day. We "
        "will answer them by e-mail; if there is more to tell us, write again "
        "tomorrow."
    )
    assert "problem-error" not in texts
    assert "text-error" not in texts
    assert checked(refused) == ["problem-late"]
    assert text_field(refused) == TEXT
    assert len(reports(order_with_lines)) == MAX_REPORTS_PER_DAY
    assert recorded() == (MAX_REPORTS_PER_DAY, 1, MAX_REPORTS_PER_DAY)


def test_an_order_without_an_email_says_where_to_go_instead(
    shop, customer, order_with_lines, order_generator, channel_USD
):
    shop()
    order = order_generator(user=None, user_email="")

    shown = _open(customer, channel_USD, order)
    # a form of another order, sent with this order's token: the page it opened
    # has no form
    sent = _send(
        customer,
        channel_USD,
        order_with_lines,
        {"problem": "late", "text": TEXT},
        token=str(order.pk),
    )

    assert shown.status_code == 200
    page, texts, _ = read_page(shown)
    assert page == "problem-report-unavailable"
    assert texts["report-unavailable"] == (
        "This order has no e-mail address for our answer, so we cannot take a "
        "report about it on this page. Please contact us instead, as below."
    )
    assert "report-form" not in texts
    assert sent.status_code == 409
    assert read_page(sent)[0] == "problem-report-unavailable"
    assert recorded() == NOTHING


def test_bad_tokens_are_counted_by_the_throttle(
    shop, customer, order_with_lines, channel_USD
):
    shop()
    path = page_path(channel_USD, PAGE)
    form = hidden_fields(_open(customer, channel_USD, order_with_lines))

    statuses = [
        customer.get(path, {"order": str(uuid.uuid4())}).status_code
        for _ in range(throttle.MAX_BAD_TOKENS)
    ]
    refused = _open(customer, channel_USD, order_with_lines)
    refused_report = customer.post(path, {**form, "problem": "late", "text": TEXT})

    assert statuses == [400] * throttle.MAX_BAD_TOKENS
    for response in (refused, refused_report):
        assert response.status_code == 429
        assert read_page(response)[0] == "too-many-attempts"
        assert int(response.headers["Retry-After"]) > 0
    assert recorded() == NOTHING


def test_genuine_links_are_not_counted_as_bad(
    shop, customer, order_with_lines, channel_USD
):
    shop()

    statuses = {
        _open(customer, channel_USD, order_with_lines).status_code
        for _ in range(throttle.MAX_BAD_TOKENS + 5)
    }

    assert statuses == {200}


def test_the_link_of_an_order_opens_its_page(
    shop, customer, order_with_lines, channel_USD, live_saleor
):
    settings = ChannelSettings(storefront_url="https://shop.example.com")

    link = problem_report_link(order_with_lines, settings)

    assert link == (
        f"{live_saleor}{page_path(channel_USD, PAGE)}?order={order_with_lines.pk}"
    )
    shop()
    response = customer.get(link)
    assert response.status_code == 200
    assert read_page(response)[1]["report-order"] == (
        f"About order {order_with_lines.number}"
    )


def test_a_storefront_that_serves_the_page_gets_the_link(order_with_lines):
    # as the merchant types it in the setting
    settings = parse_channel_settings(
        {
            "storefront_url": "https://shop.example.com",
            "storefront_pages": "survey, problem report",
        }
    )

    assert problem_report_link(order_with_lines, settings) == (
        f"https://shop.example.com/report-problem?order={order_with_lines.pk}"
    )


def test_reports_on_the_page_and_through_graphql_share_the_daily_limit(
    shop, customer, order_with_lines, channel_USD, api_client
):
    shop()
    mutation = """
    mutation Report($token: UUID!, $text: String!) {
      serviceProblemReport(orderToken: $token, problem: LATE, text: $text) {
        errors { field code }
      }
    }
    """
    for number in range(MAX_REPORTS_PER_DAY - 1):
        response = api_client.post_graphql(
            mutation, {"token": str(order_with_lines.pk), "text": f"Report {number}"}
        )
        assert response.json()["data"]["serviceProblemReport"]["errors"] == []

    last = _send(
        customer, channel_USD, order_with_lines, {"problem": "late", "text": TEXT}
    )
    refused = _send(
        customer, channel_USD, order_with_lines, {"problem": "late", "text": TEXT}
    )

    assert last.status_code == 303
    assert refused.status_code == 400
    assert "form-error" in read_page(refused)[1]
    assert ConversationMessage.objects.exclude(problem="").count() == (
        MAX_REPORTS_PER_DAY
    )
