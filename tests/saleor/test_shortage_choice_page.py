"""The stock-shortage choice page the plugin serves through Saleor's plugin URL:
opened from the notice's link, answered with a plain form (CSRF-protected, single
use, until the link expires), in the order's language, with bad links slowed down.

Requests go through Saleor's own URLs and plugin manager, with Django's test client
enforcing CSRF checks as a browser's requests meet them.
"""

import re
from datetime import UTC, datetime, timedelta

import graphene
import pytest
from django.contrib.sites.models import Site
from django.core import signing
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time
from saleor.order import OrderEvents
from saleor.order.models import OrderEvent
from shortage_support import (
    configure_channel,
    item_name,
    make_variant,
    page_path,
    read_page,
    run_sweep,
    set_stock,
    short_line,
    shortage_notices,
    shortage_settings,
)

from saleor_cs_plugin import shortages
from saleor_cs_plugin.domain.alerts import AlertKind
from saleor_cs_plugin.domain.history import EntryType
from saleor_cs_plugin.domain.notices import NoticeType
from saleor_cs_plugin.models import ServiceHistoryEntry, StaffAlert, StockShortage
from saleor_cs_plugin.pages import throttle

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

STORE_NAME = "Corner Shop"
SUPPORT = "Call us on +1 555 0100,\nMonday to Friday."
RESTOCK = "2040-12-01"


@pytest.fixture
def shortage_link(plugin_configuration, order_with_lines, channel_USD, warehouse):
    """A short line of the USD channel with a restock date and one alternative in
    stock; returns (token, alternative variant)."""
    Site.objects.filter(pk=Site.objects.get_current().pk).update(name=STORE_NAME)
    Site.objects.clear_cache()
    plugin_configuration(
        **shortage_settings(
            shortage_staff_email="orders@example.com", support_contact=SUPPORT
        )
    )
    line = short_line(order_with_lines)
    line.variant.store_value_in_private_metadata(
        {shortages.RESTOCK_METADATA_KEY: RESTOCK}
    )
    line.variant.save(update_fields=["private_metadata"])
    alternative = make_variant(
        line.variant.product,
        channel=channel_USD,
        warehouse=warehouse,
        price="21",
        stock=9,
        sku="B-ALT",
        name="Blue",
    )
    set_stock(line, 0)
    run_sweep()
    (notice,) = shortage_notices()
    return notice.context["data"]["choiceToken"], alternative


def _form(response):
    """The hidden and radio fields of the choice form."""
    _, _, inputs = read_page(response)
    hidden = {i["name"]: i["value"] for i in inputs if i.get("type") == "hidden"}
    choices = [i["value"] for i in inputs if i.get("type") == "radio"]
    return hidden, choices


def _answer(browser, channel, token, choice):
    """Open the page, then send ``choice`` with the form's hidden fields."""
    page = browser.get(page_path(channel), {"token": token})
    hidden, _ = _form(page)
    return browser.post(page_path(channel), {**hidden, "choice": choice})


def _recorded():
    """What an answer leaves behind: choices, history entries, timeline notes, alerts."""
    return (
        StockShortage.objects.exclude(chosen_at=None).count(),
        ServiceHistoryEntry.objects.filter(type=EntryType.CUSTOMER_CHOICE).count(),
        OrderEvent.objects.filter(type=OrderEvents.NOTE_ADDED).count(),
        StaffAlert.objects.filter(kind=AlertKind.SHORTAGE_CHOICE).count(),
    )


NOTHING = (0, 0, 0, 0)


def test_the_page_shows_the_item_the_estimate_and_the_alternatives(
    browser, shortage_link, order_with_lines, channel_USD
):
    token, alternative = shortage_link
    line = short_line(order_with_lines)
    name = item_name(line)

    response = browser.get(page_path(channel_USD), {"token": token})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Content-Language"] == "en"
    assert "no-store" in response["Cache-Control"]
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    page, texts, inputs = read_page(response)
    assert page == "choice"
    assert '<html lang="en">' in response.content.decode()
    assert texts["store-name"] == STORE_NAME
    assert texts["page"].startswith("An item in your order is out of stock Item: ")
    assert texts["item"] == f"Item: {name}, in order {order_with_lines.number}."
    assert texts["apology"] == (
        f"We are sorry: {name} from your order turned out not to be in stock. We "
        "would rather tell you now than let your order wait without a word."
    )
    assert texts["estimate"] == "We expect it back in stock by December 1, 2040."
    assert texts["choice-form"].split("What would you like us to do? ")[1].split(
        " You can answer once"
    )[0] == (
        "Wait for it We send it as soon as it is back in stock. "
        f"Switch to {line.variant.product.name} (Blue) $21.00 · In stock now "
        "Cancel the item We take it off your order."
    )
    assert texts["send-answer"] == "Send my answer"
    assert texts["support"] == (
        "How to reach us Call us on +1 555 0100, Monday to Friday."
    )
    hidden, choices = _form(response)
    assert hidden["token"] == token
    assert set(hidden) == {"token", "csrfmiddlewaretoken"}
    assert choices == [
        "wait",
        "switch:" + graphene.Node.to_global_id("ProductVariant", alternative.pk),
        "cancel",
    ]
    assert [i["id"] for i in inputs if i.get("type") == "radio"] == [
        "choice-wait",
        "choice-switch-1",
        "choice-cancel",
    ]
    # every radio has its label
    html = response.content.decode()
    for element_id in ("choice-wait", "choice-switch-1", "choice-cancel"):
        assert f'<label for="{element_id}">' in html
    # the form's CSRF cookie is set for the POST
    assert "csrftoken" in response.cookies
    assert _recorded() == NOTHING


def test_an_alternative_sold_out_since_the_notice_says_so(
    browser, shortage_link, channel_USD
):
    token, alternative = shortage_link
    alternative.stocks.update(quantity=1)

    response = browser.get(page_path(channel_USD), {"token": token})

    _, texts, _ = read_page(response)
    assert "$21.00 · Not in stock right now" in texts["choice-form"]


def test_without_a_restock_date_the_page_says_it_is_not_known(
    browser, shortage_link, channel_USD
):
    token, _ = shortage_link
    StockShortage.objects.update(restock_estimate=None)

    response = browser.get(page_path(channel_USD), {"token": token})

    assert read_page(response)[1]["estimate"] == (
        "We do not know yet when it will be back in stock."
    )


@pytest.mark.parametrize("choice", ["wait", "switch", "cancel"])
def test_an_answer_is_recorded_once_and_confirmed(
    choice, browser, shortage_link, order_with_lines, channel_USD
):
    token, alternative = shortage_link
    line = short_line(order_with_lines)
    name = item_name(line)
    alternative_name = f"{line.variant.product.name} (Blue)"
    value = {
        "wait": "wait",
        "switch": "switch:"
        + graphene.Node.to_global_id("ProductVariant", alternative.pk),
        "cancel": "cancel",
    }[choice]

    # when the customer sends the form
    response = _answer(browser, channel_USD, token, value)

    # then Post/Redirect/Get to the confirmation
    assert response.status_code == 303
    assert response["Location"] == (
        f"{page_path(channel_USD)}?token={token.replace(':', '%3A')}&answered=1"
    )
    shortage = StockShortage.objects.get()
    assert shortage.choice == choice
    assert shortage.chosen_variant_id == (
        alternative.pk if choice == "switch" else None
    )
    note = {
        "wait": f"The customer chose to wait for the item ({name} is out of stock).",
        "switch": f"The customer chose to switch to {alternative_name} ({name} is out "
        "of stock).",
        "cancel": f"The customer chose to cancel the item ({name} is out of stock).",
    }[choice]
    entry = ServiceHistoryEntry.objects.get(type=EntryType.CUSTOMER_CHOICE)
    assert (entry.order_id, entry.message) == (order_with_lines.pk, note)
    event = OrderEvent.objects.get(order=order_with_lines, type=OrderEvents.NOTE_ADDED)
    assert event.parameters["message"] == note
    alert = StaffAlert.objects.get(kind=AlertKind.SHORTAGE_CHOICE)
    assert (
        alert.title
        == {
            "wait": f"Order #{order_with_lines.number}: the customer chose to wait for "
            f"{name}",
            "switch": f"Order #{order_with_lines.number}: the customer chose to switch "
            f"from {name} to {alternative_name}",
            "cancel": f"Order #{order_with_lines.number}: the customer chose to cancel "
            f"{name}",
        }[choice]
    )
    (email,) = shortage_notices(NoticeType.STAFF_ALERT)
    assert email.recipient_email == "orders@example.com"

    # and the confirmation says what was recorded
    confirmation = browser.get(response["Location"])
    assert confirmation.status_code == 200
    page, texts, _ = read_page(confirmation)
    assert page == "confirmation"
    assert (
        texts["answer"]
        == {
            "wait": f"Your answer: wait for {name}.",
            "switch": f"Your answer: switch from {name} to {alternative_name}.",
            "cancel": f"Your answer: cancel {name}.",
        }[choice]
    )
    assert texts["page"] == (
        f"Thank you for your answer {texts['answer']} We have noted it on order "
        f"{order_with_lines.number}, and our team takes care of it from here."
    )


def test_a_second_answer_is_refused_with_the_already_answered_page(
    browser, shortage_link, order_with_lines, channel_USD
):
    token, _ = shortage_link
    name = item_name(short_line(order_with_lines))
    page = browser.get(page_path(channel_USD), {"token": token})
    hidden, _ = _form(page)
    assert (
        browser.post(page_path(channel_USD), {**hidden, "choice": "wait"}).status_code
        == 303
    )

    # when the same form is sent again, with another answer
    again = browser.post(page_path(channel_USD), {**hidden, "choice": "cancel"})

    # then
    assert again.status_code == 409
    page_name, texts, _ = read_page(again)
    assert page_name == "already-answered"
    assert texts["page"] == (
        "You have already answered This link was already used to answer; each link "
        f"answers once. Your answer: wait for {name}. To change your answer, contact "
        "us."
    )
    assert StockShortage.objects.get().choice == "wait"
    assert _recorded() == (1, 1, 1, 1)
    assert StaffAlert.objects.get(kind=AlertKind.SHORTAGE_CHOICE).occurrences == 1
    assert len(shortage_notices(NoticeType.STAFF_ALERT)) == 1
    # and opening the link later shows the same page, without the form
    later = browser.get(page_path(channel_USD), {"token": token})
    assert (later.status_code, read_page(later)[0]) == (200, "already-answered")
    assert "choice-form" not in read_page(later)[1]


def test_the_answer_and_the_graphql_mutation_share_one_use(
    browser, api_client, shortage_link, channel_USD
):
    # given an answer sent through the storefront's GraphQL API
    token, _ = shortage_link
    page = browser.get(page_path(channel_USD), {"token": token})
    hidden, _ = _form(page)
    shortages.record_choice(
        token, choice="cancel", alternative_id=None, now=timezone.now()
    )

    # when the page's form is sent afterwards
    response = browser.post(page_path(channel_USD), {**hidden, "choice": "wait"})

    # then
    assert (response.status_code, read_page(response)[0]) == (409, "already-answered")
    assert StockShortage.objects.get().choice == "cancel"


def test_an_expired_link_gets_its_page_and_records_nothing(
    browser, shortage_link, order_with_lines, channel_USD
):
    token, _ = shortage_link
    name = item_name(short_line(order_with_lines))
    page = browser.get(page_path(channel_USD), {"token": token})
    hidden, _ = _form(page)
    StockShortage.objects.update(
        link_expires_at=datetime(2024, 3, 5, 14, 30, tzinfo=UTC)
    )

    shown = browser.get(page_path(channel_USD), {"token": token})
    sent = browser.post(page_path(channel_USD), {**hidden, "choice": "wait"})

    for response in (shown, sent):
        assert response.status_code == 410
        page_name, texts, _ = read_page(response)
        assert page_name == "expired"
        assert texts["page"] == (
            f"This link has expired The link to tell us what to do about {name} "
            "expired on March 5, 2024, 2:30 PM UTC. Contact us about order "
            f"{order_with_lines.number}, and we will choose together what happens "
            "to the item."
        )
        assert texts["support"] == (
            "How to reach us Call us on +1 555 0100, Monday to Friday."
        )
    assert _recorded() == NOTHING


def _bad_token(kind, shortage):
    if kind == "forged":
        # the right shortage and nonce, signed with another key
        return signing.dumps(
            [str(shortage.pk), shortage.link_nonce],
            key="another-secret",
            salt=shortages.CHOICE_TOKEN_SALT,
            compress=False,
        )
    if kind == "other-nonce":
        return signing.dumps(
            [str(shortage.pk), "guessed"],
            salt=shortages.CHOICE_TOKEN_SALT,
            compress=False,
        )
    if kind == "cut-short":
        return shortages.choice_token(shortage)[:-6]
    return {"garbage": "not-a-token", "missing": ""}[kind]


INVALID_LINK_TEXT = (
    "This link does not work The link was changed or cut short on its way here, or "
    "it is not a link of this store. Open the link from our message exactly as it "
    "is, or contact us."
)


@pytest.mark.parametrize(
    "kind", ["forged", "other-nonce", "cut-short", "garbage", "missing"]
)
def test_a_forged_or_broken_link_gets_its_page_and_records_nothing(
    kind, browser, shortage_link, channel_USD
):
    token, _ = shortage_link
    page = browser.get(page_path(channel_USD), {"token": token})
    hidden, _ = _form(page)
    bad = _bad_token(kind, StockShortage.objects.get())

    shown = browser.get(page_path(channel_USD), {"token": bad} if bad else {})
    sent = browser.post(
        page_path(channel_USD), {**hidden, "token": bad, "choice": "wait"}
    )

    for response in (shown, sent):
        assert response.status_code == 400
        page_name, texts, _ = read_page(response)
        assert page_name == "invalid-link"
        assert texts["page"] == INVALID_LINK_TEXT
        assert texts["store-name"] == STORE_NAME
    assert _recorded() == NOTHING


def test_a_link_opened_on_another_channels_page_does_not_work_there(
    browser, shortage_link, channel_PLN
):
    # given the plugin is active in another channel too
    token, _ = shortage_link
    configure_channel(channel_PLN, **shortage_settings())

    response = browser.get(page_path(channel_PLN), {"token": token})

    assert (response.status_code, read_page(response)[0]) == (400, "invalid-link")
    assert _recorded() == NOTHING


def test_the_link_of_a_deleted_order_says_the_order_is_gone(
    browser, shortage_link, order_with_lines, channel_USD
):
    token, _ = shortage_link
    order_with_lines.delete()

    response = browser.get(page_path(channel_USD), {"token": token})

    assert response.status_code == 404
    page_name, texts, _ = read_page(response)
    assert page_name == "order-gone"
    assert texts["page"] == (
        "This order no longer exists The order this link was about no longer exists, "
        "so there is nothing to answer here. If you have a question about it, contact "
        "us."
    )


def test_after_good_news_the_page_says_the_item_is_back(
    browser, shortage_link, order_with_lines, channel_USD
):
    token, _ = shortage_link
    line = short_line(order_with_lines)
    page = browser.get(page_path(channel_USD), {"token": token})
    hidden, _ = _form(page)
    set_stock(line, 5)
    run_sweep()

    shown = browser.get(page_path(channel_USD), {"token": token})
    sent = browser.post(page_path(channel_USD), {**hidden, "choice": "cancel"})

    assert (shown.status_code, sent.status_code) == (200, 409)
    for response in (shown, sent):
        page_name, texts, _ = read_page(response)
        assert page_name == "back-in-stock"
        assert texts["page"] == (
            f"The item is back in stock Good news: {item_name(line)} is back in stock "
            "and your order is back on track. There is nothing you need to do."
        )
    assert _recorded() == NOTHING


def test_a_line_that_no_longer_waits_has_nothing_to_choose(
    browser, shortage_link, order_with_lines, channel_USD
):
    token, _ = shortage_link
    StockShortage.objects.update(status="closed")

    response = browser.get(page_path(channel_USD), {"token": token})

    page_name, texts, _ = read_page(response)
    assert (response.status_code, page_name) == (200, "no-longer-waiting")
    assert texts["page"] == (
        "There is nothing to choose any more "
        f"{item_name(short_line(order_with_lines))} no longer waits for stock: it was "
        f"sent, cancelled or taken off order {order_with_lines.number}. If this is "
        "not what you expected, contact us."
    )


@pytest.mark.parametrize(
    ("choice", "error"),
    [
        ("", "Choose one of the options below, then send your answer."),
        ("maybe", "Choose one of the options below, then send your answer."),
        (
            "switch:" + graphene.Node.to_global_id("ProductVariant", 999999),
            "The alternative you chose is not one we offered. Choose one of the "
            "options below.",
        ),
        (
            "switch:" + graphene.Node.to_global_id("Order", 1),
            "The alternative you chose is not one we offered. Choose one of the "
            "options below.",
        ),
        (
            "switch:",
            "The alternative you chose is not one we offered. Choose one of "
            "the options below.",
        ),
    ],
)
def test_an_answer_without_a_valid_option_shows_the_form_again(
    choice, error, browser, shortage_link, channel_USD
):
    token, _ = shortage_link

    response = _answer(browser, channel_USD, token, choice)

    assert response.status_code == 400
    page_name, texts, _ = read_page(response)
    assert page_name == "choice"
    assert texts["form-error"] == error
    assert _recorded() == NOTHING
    # and the link still takes an answer
    assert _answer(browser, channel_USD, token, "wait").status_code == 303


@pytest.mark.parametrize("missing", ["cookie", "field", "both", "mismatch"])
def test_a_post_without_the_csrf_token_is_refused_and_records_nothing(
    missing, browser, shortage_link, channel_USD
):
    token, _ = shortage_link
    page = browser.get(page_path(channel_USD), {"token": token})
    hidden, _ = _form(page)
    data = {**hidden, "choice": "cancel"}
    if missing in ("field", "both"):
        del data["csrfmiddlewaretoken"]
    if missing in ("cookie", "both"):
        browser.cookies.pop("csrftoken")
    if missing == "mismatch":
        data["csrfmiddlewaretoken"] = "x" * 64

    response = browser.post(page_path(channel_USD), data)

    assert response.status_code == 403
    page_name, texts, _ = read_page(response)
    assert page_name == "form-expired"
    assert texts["page"].startswith(
        "Your answer was not sent Your browser did not send the page's security "
        "check, so we have not recorded anything."
    )
    assert texts["page-again"] == "Open the page again and send your answer"
    assert _recorded() == NOTHING


def test_a_cross_site_post_is_refused(shortage_link, channel_USD):
    # a form on another site posting with the customer's cookie: the browser sends
    # that site's Origin
    token, _ = shortage_link
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(page_path(channel_USD), {"token": token})
    hidden, _ = _form(page)

    response = browser.post(
        page_path(channel_USD),
        {**hidden, "choice": "cancel"},
        headers={"Origin": "https://evil.example.net"},
    )

    assert (response.status_code, read_page(response)[0]) == (403, "form-expired")
    assert _recorded() == NOTHING


def test_a_burst_of_bad_links_is_slowed_down(shortage_link, channel_USD):
    token, _ = shortage_link
    path = page_path(channel_USD)
    browser = Client(enforce_csrf_checks=True, REMOTE_ADDR="203.0.113.7")
    page = browser.get(path, {"token": token})
    hidden, _ = _form(page)
    moment = timezone.now().replace(second=30, microsecond=0)

    with freeze_time(moment):
        # the bad links up to the limit get the page that explains them
        statuses = [
            browser.get(path, {"token": f"guess-{n}"}).status_code
            for n in range(throttle.MAX_BAD_TOKENS)
        ]
        # then every request from that address is refused for a while, the genuine
        # link included
        refused = browser.get(path, {"token": "guess-again"})
        refused_answer = browser.post(path, {**hidden, "choice": "wait"})
        # another address is not affected
        other = Client(REMOTE_ADDR="198.51.100.9").get(path, {"token": token})

    assert statuses == [400] * throttle.MAX_BAD_TOKENS
    for response in (refused, refused_answer):
        assert response.status_code == 429
        # the bad links were all in the minute at :00; it leaves the 10-minute
        # window at :10:00, 9.5 minutes later
        assert response["Retry-After"] == "570"
        page_name, texts, _ = read_page(response)
        assert page_name == "too-many-attempts"
        assert texts["page"] == (
            "Too many attempts We received too many links that do not work from your "
            "connection, so we are pausing for a moment. Please try again in 10 "
            "minutes, opening the link from our message exactly as it is."
        )
    assert other.status_code == 200
    assert _recorded() == NOTHING

    # when the window has rolled past the bad links
    with freeze_time(moment + timedelta(seconds=570)):
        response = _answer(browser, channel_USD, token, "wait")
    assert response.status_code == 303
    assert _recorded() == (1, 1, 1, 1)


def test_expired_and_used_links_are_not_counted_as_bad(shortage_link, channel_USD):
    token, _ = shortage_link
    browser = Client(enforce_csrf_checks=True, REMOTE_ADDR="203.0.113.8")
    assert _answer(browser, channel_USD, token, "wait").status_code == 303

    statuses = {
        browser.get(page_path(channel_USD), {"token": token}).status_code
        for _ in range(throttle.MAX_BAD_TOKENS + 5)
    }

    assert statuses == {200}


def test_an_item_name_with_markup_is_shown_as_text(
    browser, plugin_configuration, order_with_lines, channel_USD
):
    plugin_configuration(**shortage_settings(support_contact="<b>Call</b> us"))
    line = short_line(order_with_lines)
    line.product_name = '<script>alert("x")</script>Mug'
    line.save(update_fields=["product_name"])
    set_stock(line, 0)
    run_sweep()
    (notice,) = shortage_notices()

    response = browser.get(
        page_path(channel_USD), {"token": notice.context["data"]["choiceToken"]}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<script" not in html
    assert "<b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;Mug" in html
    assert "&lt;b&gt;Call&lt;/b&gt; us" in html
    assert read_page(response)[1]["item"].startswith(
        'Item: <script>alert("x")</script>Mug'
    )


def test_an_unknown_page_is_not_found_in_the_same_style(
    browser, plugin_configuration, channel_USD
):
    plugin_configuration(**shortage_settings(support_contact=SUPPORT))

    response = browser.get(page_path(channel_USD, "no-such-page"))

    assert response.status_code == 404
    page_name, texts, _ = read_page(response)
    assert page_name == "not-found"
    assert texts["page"] == (
        "Page not found There is no page at this address. If you followed a link "
        "from our message, open it exactly as it is, or contact us."
    )
    assert texts["support"] == (
        "How to reach us Call us on +1 555 0100, Monday to Friday."
    )


def test_pages_are_not_served_where_the_plugin_is_off(
    browser, plugin_configuration, channel_USD
):
    plugin_configuration(active=False, **shortage_settings())

    response = browser.get(page_path(channel_USD, "no-such-page"))

    # Saleor's own answer for a plugin that is off
    assert response.status_code == 404
    assert b"data-page" not in response.content


def test_pages_are_served_per_channel_only(
    browser, plugin_configuration, channel_USD, channel_PLN
):
    # given the plugin on in the USD channel only
    plugin_configuration(**shortage_settings())
    path = page_path(channel_USD, "no-such-page")
    page = path.split("/", 4)[4]

    responses = [
        browser.get(path),
        # a channel where the plugin is not configured
        browser.get(page_path(channel_PLN, "no-such-page")),
        # Saleor's URLs without a channel
        browser.get(f"/plugins/{page}"),
        browser.get(f"/plugins/global/{page}"),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404, 404]
    assert [b"data-page" in r.content for r in responses] == [True, False, False, False]


def test_a_polish_order_gets_its_notice_and_page_in_polish(
    browser, plugin_configuration, order_with_lines, channel_USD, warehouse
):
    # given an order placed in Polish, with a restock date and an alternative
    order_with_lines.language_code = "pl"
    order_with_lines.save(update_fields=["language_code"])
    plugin_configuration(
        **shortage_settings(
            time_zone="Europe/Warsaw",
            support_contact="Call us.\n[pl]\nZadzwoń do nas: +48 22 100 00 00.",
        )
    )
    line = short_line(order_with_lines)
    name = item_name(line)
    line.variant.store_value_in_private_metadata(
        {shortages.RESTOCK_METADATA_KEY: RESTOCK}
    )
    line.variant.save(update_fields=["private_metadata"])
    alternative = make_variant(
        line.variant.product,
        channel=channel_USD,
        warehouse=warehouse,
        price="21",
        stock=9,
        sku="B-ALT",
        name="Blue",
    )
    set_stock(line, 1)

    # when the sweep finds the line short
    run_sweep()

    # then the notice is in Polish, with Polish dates and money
    (notice,) = shortage_notices()
    token = notice.context["data"]["choiceToken"]
    alternative_name = f"{line.variant.product.name} (Blue)"
    assert notice.context["language"] == "pl"
    assert notice.context["subject"] == f"Przepraszamy: {name} – brak w magazynie"
    assert notice.context["message"] == (
        f"Przepraszamy: okazało się, że w magazynie brakuje pozycji {name} z Twojego "
        "zamówienia – 1 z 2 zamówionych sztuk. Wolimy powiedzieć Ci o tym teraz, niż "
        "pozwolić, by zamówienie czekało bez słowa wyjaśnienia.\n\n"
        "Spodziewamy się, że produkt wróci do magazynu do 1 grudnia 2040.\n\n"
        "Możesz poczekać na produkt, zamienić go na inny lub anulować tę pozycję.\n\n"
        "Zamienniki dostępne teraz w magazynie:\n"
        f"- {alternative_name}: 21,00\xa0USD\n\n"
        f"Daj nam znać, co wybierasz: {notice.context['action_url']}"
    )

    # and the page it links to is in Polish
    response = browser.get(page_path(channel_USD), {"token": token})
    assert response.status_code == 200
    assert response["Content-Language"] == "pl"
    assert '<html lang="pl">' in response.content.decode()
    _, texts, _ = read_page(response)
    assert texts["page"].startswith(
        "Produkt z Twojego zamówienia jest niedostępny w magazynie Pozycja: "
    )
    assert texts["item"] == f"Pozycja: {name}, w zamówieniu {order_with_lines.number}."
    assert texts["estimate"] == (
        "Spodziewamy się, że produkt wróci do magazynu do 1 grudnia 2040."
    )
    assert texts["choice-form"].split("Co mamy zrobić? ")[1].split(" Odpowiedzieć")[
        0
    ] == (
        "Poczekaj na produkt Wyślemy go, gdy tylko wróci do magazynu. "
        f"Zamień na: {alternative_name} 21,00 USD · Teraz w magazynie "
        "Anuluj tę pozycję Usuniemy ją z zamówienia."
    )
    expires = StockShortage.objects.get().link_expires_at
    assert re.fullmatch(
        r"Odpowiedzieć możesz raz, do \d{1,2} \w+ \d{4} \d{2}:\d{2} CES?T\. Potem "
        r"zamówieniem zajmie się nasz zespół\. Wyślij odpowiedź",
        texts["choice-form"].split("Usuniemy ją z zamówienia. ")[1],
    ), expires
    assert texts["send-answer"] == "Wyślij odpowiedź"
    assert texts["support"] == (
        "Jak się z nami skontaktować Zadzwoń do nas: +48 22 100 00 00."
    )

    # when the customer answers, the confirmation is Polish; staff read English
    hidden, _ = _form(response)
    sent = browser.post(
        page_path(channel_USD),
        {
            **hidden,
            "choice": "switch:"
            + graphene.Node.to_global_id("ProductVariant", alternative.pk),
        },
    )
    confirmation = browser.get(sent["Location"])
    _, texts, _ = read_page(confirmation)
    assert texts["page"] == (
        f"Dziękujemy za odpowiedź Twoja odpowiedź: zamienić {name} na "
        f"{alternative_name}. Zapisaliśmy ją przy zamówieniu {order_with_lines.number}; "
        "dalej zajmie się tym nasz zespół."
    )
    event = OrderEvent.objects.get(order=order_with_lines, type=OrderEvents.NOTE_ADDED)
    assert event.parameters["message"] == (
        f"The customer chose to switch to {alternative_name} ({name} is out of stock)."
    )


def test_the_expiry_is_told_in_the_polish_format(
    browser, shortage_link, order_with_lines, channel_USD
):
    token, _ = shortage_link
    order_with_lines.language_code = "pl"
    order_with_lines.save(update_fields=["language_code"])
    StockShortage.objects.update(
        link_expires_at=datetime(2024, 3, 5, 14, 30, tzinfo=UTC)
    )

    response = browser.get(page_path(channel_USD), {"token": token})

    _, texts, _ = read_page(response)
    assert texts["page"] == (
        f"Ten link wygasł Link do decyzji w sprawie pozycji "
        f"{item_name(short_line(order_with_lines))} wygasł 5 marca 2024 14:30 UTC. "
        f"Skontaktuj się z nami w sprawie zamówienia {order_with_lines.number}, a "
        "razem zdecydujemy, co dalej z tą pozycją."
    )
