"""The survey page the plugin serves through Saleor's plugin URL: every question of
a survey on one screen, in the survey's language, the one-click answer of the
notice chosen but not recorded, answers recorded (partial ones kept, changes taken)
with a plain CSRF-protected form until the survey closes, free text shown escaped,
and bad links slowed down.

Requests go through Saleor's own URLs and plugin manager, with Django's test client
enforcing CSRF checks as a browser's requests meet them.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time
from shortage_support import configure_channel, item_name, page_path, read_page
from survey_support import sent_survey, survey_settings, token_of

from saleor_cs_plugin.domain.alerts import AlertKind
from saleor_cs_plugin.domain.history import EntryType
from saleor_cs_plugin.domain.surveys import Moment, ProblemKind
from saleor_cs_plugin.models import ServiceHistoryEntry, StaffAlert, Survey
from saleor_cs_plugin.pages import throttle
from saleor_cs_plugin.surveys import tokens

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

SUPPORT = "Call us on +1 555 0100."
CLOSES_AT = datetime(2040, 12, 15, 14, 30, tzinfo=UTC)
CLOSES_TEXT = "December 15, 2040, 2:30 PM UTC"
SATISFIED = "Were you satisfied with how the entire process was handled?"
WHAT_WENT_WRONG = "What went wrong?"
HANDLED = "Did we handle the problem the way you wanted?"
WRONG_THINGS = [
    ("late", "It was late"),
    ("damaged", "Something arrived damaged"),
    ("wrong_item", "I got the wrong item"),
    ("missing_or_out_of_stock", "An item was missing or out of stock"),
    ("coupon_or_price", "A coupon or the price"),
    ("hard_to_reach", "You were hard to reach"),
    ("slow_answer", "An answer took too long"),
    ("other", "Something else"),
]


@pytest.fixture
def make_survey(plugin_configuration, order_with_lines, channel_USD):
    """A SENT survey (as the sweep leaves it) of Saleor's ``order_with_lines`` in
    the USD channel, or of a checkout left there; returns (survey, token)."""
    plugin_configuration(**survey_settings(support_contact=SUPPORT))

    def make(moment=Moment.COMPLETED, *, language="en", problem=None, checkout=None):
        survey = sent_survey(
            moment=moment,
            order=None if moment == Moment.ABANDONED else order_with_lines,
            checkout=checkout,
            problem=problem,
            problem_ref=str(order_with_lines.pk) if problem else "",
            channel=channel_USD,
            language=language,
        )
        Survey.objects.filter(pk=survey.pk).update(closes_at=CLOSES_AT)
        survey.refresh_from_db()
        return survey, token_of(survey)

    return make


def _hidden(response):
    _, _, inputs = read_page(response)
    return {
        i["name"]: i["value"]
        for i in inputs
        if i.get("type") == "hidden" and i["name"] != "shown"
    } | {"shown": [i["value"] for i in inputs if i.get("name") == "shown"]}


def _checked(response):
    """Ids of the inputs the page shows chosen."""
    _, _, inputs = read_page(response)
    return [i["id"] for i in inputs if "checked" in i]


def _send(browser, channel, token, answers, *, query=None):
    """Open the page (``query``: more of the link's parameters), then send the
    form's hidden fields with ``answers``."""
    page = browser.get(page_path(channel, "survey"), {"token": token, **(query or {})})
    return browser.post(page_path(channel, "survey"), {**_hidden(page), **answers})


def _recorded():
    """What an answer leaves behind: answered surveys, history entries, alerts."""
    return (
        Survey.objects.exclude(answered_at=None).count(),
        ServiceHistoryEntry.objects.filter(type=EntryType.SURVEY_ANSWERED).count(),
        StaffAlert.objects.filter(kind=AlertKind.SURVEY_CALL_BACK).count(),
    )


NOTHING = (0, 0, 0)


def _items(order):
    """The order's items as the page lists them."""
    return " ".join(
        item_name(line) for line in order.lines.order_by("created_at", "pk")
    )


def _answers_of(survey):
    survey.refresh_from_db()
    return (
        survey.satisfied,
        list(survey.what_went_wrong),
        survey.handled_as_wanted,
        survey.comment,
    )


def test_the_page_shows_every_question_of_a_completed_order(
    browser, make_survey, order_with_lines, channel_USD
):
    _, token = make_survey()

    response = browser.get(page_path(channel_USD, "survey"), {"token": token})

    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    assert "no-store" in response["Cache-Control"]
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    page, texts, inputs = read_page(response)
    assert page == "survey"
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert texts["survey-order"] == f"About order {order_with_lines.number}"
    assert texts["survey-items"] == _items(order_with_lines)
    assert order_with_lines.lines.count() == 2
    assert texts["question-satisfied"] == f"{SATISFIED} Yes No"
    assert texts["question-what-went-wrong"] == (
        f"If not: {WHAT_WENT_WRONG} Tick all that apply. "
        + " ".join(label for _, label in WRONG_THINGS)
    )
    assert texts["question-handled-as-wanted"] == f"If not: {HANDLED} Yes No"
    assert texts["comment-label"] == "Anything you would like to add? (optional)"
    assert texts["survey-closes"] == f"You can change your answers until {CLOSES_TEXT}."
    assert texts["send-answers"] == "Send my answers"
    assert texts["support"] == f"How to reach us {SUPPORT}"
    assert "one-click-note" not in texts
    assert [
        (i["type"], i["name"], i["id"], i["value"]) for i in inputs if "id" in i
    ] == [
        ("radio", "satisfied", "satisfied-yes", "yes"),
        ("radio", "satisfied", "satisfied-no", "no"),
        *[
            ("checkbox", "what_went_wrong", f"what-went-wrong-{v.replace('_', '-')}", v)
            for v, _ in WRONG_THINGS
        ],
        ("radio", "handled_as_wanted", "handled-as-wanted-yes", "yes"),
        ("radio", "handled_as_wanted", "handled-as-wanted-no", "no"),
    ]
    # every input has its label, the free text its limit
    for element in [i["id"] for i in inputs if "id" in i] + ["comment"]:
        assert f'<label for="{element}"' in html
    assert (
        '<textarea id="comment" name="comment" rows="4" maxlength="1000" '
        'aria-describedby="comment-hint"></textarea>'
    ) in html
    assert _checked(response) == []
    assert set(_hidden(response)) == {"token", "csrfmiddlewaretoken", "shown"}
    assert _hidden(response)["shown"] == ["what_went_wrong"]
    assert "csrftoken" in response.cookies
    assert _recorded() == NOTHING


def test_an_after_problem_survey_names_the_problem(
    browser, make_survey, order_with_lines, channel_USD
):
    _, token = make_survey(Moment.AFTER_PROBLEM, problem=ProblemKind.DELAY)

    response = browser.get(page_path(channel_USD, "survey"), {"token": token})

    _, texts, _ = read_page(response)
    assert texts["question-handled-as-wanted"] == (
        f"Did we handle the delay of order #{order_with_lines.number} the way you "
        "wanted? Yes No"
    )
    assert texts["question-what-went-wrong"].startswith(
        f"If not: {WHAT_WENT_WRONG} Tick all that apply. It was late "
    )
    assert "question-satisfied" not in texts


def test_an_abandoned_checkout_is_asked_why(
    browser, make_survey, checkout_with_item, channel_USD
):
    _, token = make_survey(Moment.ABANDONED, checkout=checkout_with_item)

    # the one-click answer does not apply: the notice carries none
    response = browser.get(
        page_path(channel_USD, "survey"), {"token": token, "answer": "no"}
    )

    _, texts, inputs = read_page(response)
    assert texts["page"].startswith("Help us do better ")
    assert texts["question-why-not-completed"] == (
        "If you did not complete an order, why not? The price The shipping cost "
        "Delivery would take too long A coupon did not work A problem with payment "
        "I was just looking I bought it elsewhere A problem with the site Something "
        "else"
    )
    assert {i["name"] for i in inputs if i.get("type") == "radio"} == {
        "why_not_completed"
    }
    assert _checked(response) == []
    assert "one-click-note" not in texts


def test_a_polish_survey_is_in_polish(browser, make_survey, channel_USD):
    _, token = make_survey(language="pl")

    response = browser.get(page_path(channel_USD, "survey"), {"token": token})

    assert response.status_code == 200
    assert response["Content-Language"] == "pl"
    assert '<html lang="pl">' in response.content.decode()
    _, texts, _ = read_page(response)
    assert texts["page"].startswith("Jak nam poszło? ")
    assert texts["question-satisfied"] == (
        "Czy jesteś zadowolony z przebiegu całego zamówienia? Tak Nie"
    )
    assert texts["question-what-went-wrong"].startswith(
        "Jeśli nie: Co poszło nie tak? Zaznacz wszystko, co pasuje. Przyszło z "
        "opóźnieniem "
    )
    assert texts["question-handled-as-wanted"] == (
        "Jeśli nie: Czy rozwiązaliśmy problem tak, jak chciałeś? Tak Nie"
    )
    assert texts["survey-closes"] == (
        "Możesz zmienić odpowiedzi do 15 grudnia 2040 14:30 UTC."
    )
    assert texts["send-answers"] == "Wyślij odpowiedzi"


@pytest.mark.parametrize(
    ("moment", "answer", "checked"),
    [
        (Moment.COMPLETED, "no", "satisfied-no"),
        (Moment.COMPLETED, "yes", "satisfied-yes"),
        (Moment.AFTER_PROBLEM, "no", "handled-as-wanted-no"),
    ],
)
def test_the_one_click_link_chooses_the_answer_and_records_nothing(
    moment, answer, checked, browser, make_survey, channel_USD
):
    survey, token = make_survey(
        moment, problem=ProblemKind.CONTACT if moment == Moment.AFTER_PROBLEM else None
    )

    # when a mail scanner, then the customer, open the one-click link
    responses = [
        Client().get(
            page_path(channel_USD, "survey"), {"token": token, "answer": answer}
        ),
        browser.get(
            page_path(channel_USD, "survey"), {"token": token, "answer": answer}
        ),
        browser.head(
            page_path(channel_USD, "survey"), {"token": token, "answer": answer}
        ),
    ]

    # then the page shows that answer chosen, and nothing is recorded
    assert [r.status_code for r in responses] == [200, 200, 200]
    response = responses[1]
    assert _checked(response) == [checked]
    assert read_page(response)[1]["one-click-note"] == (
        "We have chosen the answer you clicked in our message. It is recorded when "
        "you send this form."
    )
    assert _answers_of(survey) == (None, [], None, "")
    assert (survey.first_answered_at, survey.answered_at) == (None, None)
    assert _recorded() == NOTHING


def test_an_unknown_one_click_answer_chooses_nothing(browser, make_survey, channel_USD):
    _, token = make_survey()

    response = browser.get(
        page_path(channel_USD, "survey"), {"token": token, "answer": "maybe"}
    )

    assert response.status_code == 200
    assert _checked(response) == []
    assert "one-click-note" not in read_page(response)[1]


def test_the_one_click_answer_is_recorded_when_the_form_is_sent(
    browser, make_survey, channel_USD
):
    survey, token = make_survey()
    page = browser.get(
        page_path(channel_USD, "survey"), {"token": token, "answer": "no"}
    )

    # the browser sends the chosen radio with the form
    response = browser.post(
        page_path(channel_USD, "survey"),
        {**_hidden(page), "satisfied": "no", "comment": ""},
    )

    assert response.status_code == 303
    assert response["Location"] == (
        f"{page_path(channel_USD, 'survey')}?token={token.replace(':', '%3A')}"
        "&answered=1"
    )
    assert _answers_of(survey) == (False, [], None, "")
    assert _recorded() == (1, 1, 0)


def test_partial_answers_are_kept_and_changes_taken(
    browser, make_survey, order_with_lines, channel_USD
):
    survey, token = make_survey()
    path = page_path(channel_USD, "survey")

    # when the customer answers the first question only
    first = _send(browser, channel_USD, token, {"satisfied": "no", "comment": ""})

    # then it is recorded, and the confirmation says so
    assert first.status_code == 303
    assert _answers_of(survey) == (False, [], None, "")
    confirmation = browser.get(first["Location"])
    assert confirmation.status_code == 200
    page, texts, _ = read_page(confirmation)
    assert page == "survey-confirmation"
    assert texts["survey-answers"] == f"{SATISFIED} No"
    assert texts["page"] == (
        f"Thank you for your answers About order {order_with_lines.number} "
        f"{_items(order_with_lines)} We have recorded them. Here is what you told us: {SATISFIED} No You can change "
        f"your answers until {CLOSES_TEXT}. Change my answers"
    )
    assert confirmation.content.decode().count('href="') == 1
    assert read_page(confirmation)[2] == []
    assert _recorded() == (1, 1, 0)

    # when the page is opened again, what is answered is chosen
    again = browser.get(path, {"token": token})
    assert _checked(again) == ["satisfied-no"]

    # and the follow-ups are answered, with a comment
    second = browser.post(
        path,
        {
            **_hidden(again),
            "satisfied": "no",
            "what_went_wrong": ["late", "damaged"],
            "handled_as_wanted": "no",
            "comment": "The box was crushed.",
        },
    )

    # then the answers are changed, and the staff are asked to call back once
    assert second.status_code == 303
    assert _answers_of(survey) == (
        False,
        ["late", "damaged"],
        False,
        "The box was crushed.",
    )
    assert _recorded() == (1, 2, 1)
    _, texts, _ = read_page(browser.get(second["Location"]))
    assert texts["survey-answers"] == (
        f"{SATISFIED} No {WHAT_WENT_WRONG} It was late, Something arrived damaged "
        f"{HANDLED} No Your comment The box was crushed."
    )

    # when the customer changes their mind: satisfied after all, nothing went wrong
    reopened = browser.get(path, {"token": token})
    assert _checked(reopened) == [
        "satisfied-no",
        "what-went-wrong-late",
        "what-went-wrong-damaged",
        "handled-as-wanted-no",
    ]
    third = browser.post(
        path,
        {
            **_hidden(reopened),
            "satisfied": "yes",
            "handled_as_wanted": "no",
            "comment": "",
        },
    )

    assert third.status_code == 303
    assert _answers_of(survey) == (True, [], False, "")
    assert _recorded() == (1, 3, 1)


@pytest.mark.parametrize("missing", ["cookie", "field", "mismatch", "other-site"])
def test_a_post_without_the_csrf_check_is_refused_and_records_nothing(
    missing, browser, make_survey, channel_USD
):
    survey, token = make_survey()
    path = page_path(channel_USD, "survey")
    data = {**_hidden(browser.get(path, {"token": token})), "satisfied": "no"}
    headers = {}
    if missing == "field":
        del data["csrfmiddlewaretoken"]
    if missing == "cookie":
        browser.cookies.pop("csrftoken")
    if missing == "mismatch":
        data["csrfmiddlewaretoken"] = "x" * 64
    if missing == "other-site":
        headers = {"Origin": "https://evil.example.net"}

    response = browser.post(path, data, headers=headers)

    assert response.status_code == 403
    page, texts, _ = read_page(response)
    assert page == "form-expired"
    assert texts["page-again"] == "Open the page again and send your answer"
    assert _answers_of(survey) == (None, [], None, "")
    assert _recorded() == NOTHING


def test_hostile_free_text_is_stripped_of_markup_and_shown_escaped(
    browser, make_survey, channel_USD
):
    survey, token = make_survey()
    path = page_path(channel_USD, "survey")
    # markup is stripped, markup written with entities too; what is left is text
    comment = (
        "<script>alert(1)</script> &lt;script&gt;alert(2)&lt;/script&gt; "
        '<img src=x onerror="alert(3)">Box crushed, 5 < 6 & "fine" <3'
    )

    sent = _send(browser, channel_USD, token, {"satisfied": "no", "comment": comment})

    assert sent.status_code == 303
    survey.refresh_from_db()
    kept = 'alert(1) alert(2) Box crushed, 5 < 6 & "fine" <3'
    assert survey.comment == kept
    confirmation = browser.get(sent["Location"])
    form = browser.get(path, {"token": token})
    for response in (confirmation, form):
        html = response.content.decode()
        assert "<script" not in html
        assert "<img" not in html
        assert "<3" not in html
        assert (
            "alert(1) alert(2) Box crushed, 5 &lt; 6 &amp; &quot;fine&quot; &lt;3"
            in html
        )
    assert read_page(confirmation)[1]["answer-comment"] == f"Your comment {kept}"


def test_markup_in_a_kept_comment_and_an_item_name_is_shown_as_text(
    browser, make_survey, order_with_lines, channel_USD
):
    # given a comment with markup (kept before it was cleaned, or written by hand)
    # and an item named with markup
    survey, token = make_survey()
    Survey.objects.filter(pk=survey.pk).update(
        satisfied=False, comment="<script>alert(1)</script>", answered_at=timezone.now()
    )
    line = order_with_lines.lines.first()
    line.product_name = '<b onmouseover="alert(2)">Mug</b>'
    line.variant_name = ""
    line.save(update_fields=["product_name", "variant_name"])

    responses = [
        browser.get(page_path(channel_USD, "survey"), {"token": token}),
        browser.get(
            page_path(channel_USD, "survey"), {"token": token, "answered": "1"}
        ),
    ]

    for response in responses:
        html = response.content.decode()
        assert response.status_code == 200
        assert "<script" not in html
        assert "<b " not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "&lt;b onmouseover=&quot;alert(2)&quot;&gt;Mug&lt;/b&gt;" in html
        assert read_page(response)[1]["survey-items"].startswith(
            '<b onmouseover="alert(2)">Mug</b>'
        )


@pytest.mark.parametrize(
    ("answers", "error"),
    [
        (
            {"satisfied": "maybe"},
            "One of your answers is not one we offered. Choose from the options below.",
        ),
        (
            {"what_went_wrong": ["late", "lost"]},
            "One of your answers is not one we offered. Choose from the options below.",
        ),
        # the survey of a completed order does not ask it
        (
            {"why_not_completed": "price"},
            "One of your answers is not one we offered. Choose from the options below.",
        ),
        ({"comment": ""}, "Answer at least one question, then send your answers."),
        (
            {"satisfied": "no", "comment": "x" * 1001},
            "Your comment is too long: at most 1000 characters.",
        ),
    ],
)
def test_an_answer_the_form_did_not_offer_shows_the_form_again(
    answers, error, browser, make_survey, channel_USD
):
    survey, token = make_survey()

    response = _send(browser, channel_USD, token, answers)

    assert response.status_code == 400
    page, texts, _ = read_page(response)
    assert page == "survey"
    assert texts["form-error"] == error
    assert _answers_of(survey) == (None, [], None, "")
    assert _recorded() == NOTHING


def test_a_refused_answer_keeps_what_was_typed(browser, make_survey, channel_USD):
    _, token = make_survey()

    response = _send(
        browser,
        channel_USD,
        token,
        {"satisfied": "no", "what_went_wrong": ["late"], "comment": "Late. " * 200},
    )

    assert response.status_code == 400
    assert _checked(response) == ["satisfied-no", "what-went-wrong-late"]
    assert ("Late. " * 200).strip() in response.content.decode()


def test_a_closed_survey_takes_no_answer_and_shows_what_was_answered(
    browser, make_survey, channel_USD
):
    survey, token = make_survey()
    path = page_path(channel_USD, "survey")
    assert _send(browser, channel_USD, token, {"satisfied": "yes"}).status_code == 303
    form = _hidden(browser.get(path, {"token": token}))
    Survey.objects.filter(pk=survey.pk).update(
        closes_at=datetime(2024, 3, 5, 14, 30, tzinfo=UTC)
    )

    shown = browser.get(path, {"token": token, "answer": "no"})
    sent = browser.post(path, {**form, "satisfied": "no"})

    for response in (shown, sent):
        assert response.status_code == 410
        page, texts, inputs = read_page(response)
        assert page == "survey-closed"
        assert texts["survey-closed"] == (
            "It took answers until March 5, 2024, 2:30 PM UTC; it takes no more."
        )
        assert texts["survey-answers"] == f"{SATISFIED} Yes"
        assert inputs == []
    assert _answers_of(survey) == (True, [], None, "")
    assert _recorded() == (1, 1, 0)


def _bad_token(kind, survey):
    if kind == "forged":
        return signing.dumps(
            [str(survey.pk), survey.link_nonce],
            key="another-secret",
            salt=tokens.TOKEN_SALT,
            compress=False,
        )
    if kind == "other-nonce":
        return signing.dumps([str(survey.pk), "guessed"], salt=tokens.TOKEN_SALT)
    if kind == "cut-short":
        return tokens.survey_token(survey)[:-6]
    return {"garbage": "not-a-token", "missing": ""}[kind]


@pytest.mark.parametrize(
    "kind", ["forged", "other-nonce", "cut-short", "garbage", "missing"]
)
def test_a_forged_or_broken_link_gets_its_page_and_records_nothing(
    kind, browser, make_survey, channel_USD
):
    survey, token = make_survey()
    path = page_path(channel_USD, "survey")
    form = _hidden(browser.get(path, {"token": token}))
    bad = _bad_token(kind, survey)

    shown = browser.get(path, {"token": bad, "answer": "no"} if bad else {})
    sent = browser.post(path, {**form, "token": bad, "satisfied": "no"})

    for response in (shown, sent):
        assert response.status_code == 400
        page, texts, _ = read_page(response)
        assert page == "invalid-link"
        assert texts["page"].startswith("This link does not work ")
    assert _recorded() == NOTHING


def test_a_link_opened_on_another_channels_page_does_not_work_there(
    browser, make_survey, channel_USD, channel_PLN
):
    _, token = make_survey()
    configure_channel(channel_PLN, **survey_settings())

    shown = browser.get(page_path(channel_PLN, "survey"), {"token": token})

    assert (shown.status_code, read_page(shown)[0]) == (400, "invalid-link")
    # and its form, sent to the other channel's page, records nothing
    form = _hidden(browser.get(page_path(channel_USD, "survey"), {"token": token}))
    sent = browser.post(page_path(channel_PLN, "survey"), {**form, "satisfied": "no"})
    assert (sent.status_code, read_page(sent)[0]) == (400, "invalid-link")
    assert _recorded() == NOTHING


def test_the_link_of_a_removed_survey_says_it_is_gone(
    browser, make_survey, channel_USD
):
    survey, token = make_survey()
    survey.delete()

    response = browser.get(page_path(channel_USD, "survey"), {"token": token})

    assert response.status_code == 404
    page, texts, _ = read_page(response)
    assert page == "survey-gone"
    assert texts["page"] == (
        "This survey no longer exists The survey this link was for was removed, so "
        "there is nothing to answer here. If you would like to tell us something, "
        "contact us."
    )


def test_bad_survey_links_are_counted_by_the_throttle(make_survey, channel_USD):
    survey, token = make_survey()
    path = page_path(channel_USD, "survey")
    browser = Client(enforce_csrf_checks=True, REMOTE_ADDR="203.0.113.17")
    form = _hidden(browser.get(path, {"token": token}))
    moment = timezone.now().replace(second=30, microsecond=0)

    with freeze_time(moment):
        statuses = [
            browser.get(path, {"token": f"guess-{n}"}).status_code
            for n in range(throttle.MAX_BAD_TOKENS)
        ]
        refused = browser.get(path, {"token": token})
        refused_answer = browser.post(path, {**form, "satisfied": "no"})
        # the stock-shortage page of the same address is paused too
        shortage_page = browser.get(page_path(channel_USD), {"token": "x"})
        other = Client(REMOTE_ADDR="198.51.100.19").get(path, {"token": token})

    assert statuses == [400] * throttle.MAX_BAD_TOKENS
    for response in (refused, refused_answer, shortage_page):
        assert response.status_code == 429
        assert response["Retry-After"] == "570"
        assert read_page(response)[0] == "too-many-attempts"
    assert other.status_code == 200
    assert _recorded() == NOTHING

    with freeze_time(moment + timedelta(seconds=570)):
        assert (
            _send(browser, channel_USD, token, {"satisfied": "no"}).status_code == 303
        )
    assert _recorded() == (1, 1, 0)


def test_genuine_links_are_not_counted_as_bad(make_survey, channel_USD):
    survey, token = make_survey()
    path = page_path(channel_USD, "survey")
    browser = Client(enforce_csrf_checks=True, REMOTE_ADDR="203.0.113.18")
    Survey.objects.filter(pk=survey.pk).update(
        closes_at=datetime(2024, 3, 5, 14, 30, tzinfo=UTC)
    )

    statuses = {
        browser.get(path, {"token": token}).status_code
        for _ in range(throttle.MAX_BAD_TOKENS + 5)
    }

    assert statuses == {410}
