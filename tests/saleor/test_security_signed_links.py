"""The signed links of customer messages (the stock-shortage choice, the survey):
compared in constant time, single use where promised, expired honestly, and
never valid for another page, another customer's row or another store's key.

Links are opened through Saleor's real plugin URLs and its /graphql/ view.
"""

import secrets
import uuid
from datetime import UTC, datetime
from unittest import mock

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone
from saleor.graphql.tests.utils import get_graphql_content

from peers import race
from saleor_cs_plugin import shortages
from saleor_cs_plugin.domain.surveys import Moment, ProblemKind
from saleor_cs_plugin.models import StockShortage, Survey
from saleor_cs_plugin.surveys import tokens
from shortage_support import (
    page_path,
    read_page,
    run_sweep,
    set_stock,
    short_line,
    shortage_notices,
    shortage_settings,
)
from survey_support import sent_survey, token_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

CHOOSE = """
mutation ($token: String!, $choice: ServiceStockShortageChoiceEnum!) {
  serviceStockShortageChoose(token: $token, choice: $choice) {
    result { choice }
    errors { field code }
  }
}
"""


@pytest.fixture
def links(plugin_configuration, order_with_lines, channel_USD, customer_user2):
    """A stock-shortage link and a survey link of the USD channel's order, and a
    survey link of another customer; returns their tokens and rows."""
    plugin_configuration(**shortage_settings())
    line = short_line(order_with_lines)
    set_stock(line, 0)
    run_sweep()
    (notice,) = shortage_notices()
    survey = sent_survey(moment=Moment.COMPLETED, order=order_with_lines)
    theirs = sent_survey(
        moment=Moment.AFTER_PROBLEM,
        problem=ProblemKind.CONTACT,
        problem_ref="entry-1",
        channel=channel_USD,
        user=customer_user2,
        email=customer_user2.email,
    )
    return {
        "shortage": (
            notice.context["data"]["choiceToken"],
            StockShortage.objects.get(),
        ),
        "survey": (token_of(survey), survey),
        "their survey": (token_of(theirs), theirs),
    }


def _open(channel, page, token, client=None):
    response = (client or Client()).get(page_path(channel, page), {"token": token})
    return response.status_code, read_page(response)[0]


PAGES = {"shortage": "stock-shortage", "survey": "survey"}


@pytest.mark.parametrize("kind", ["shortage", "survey"])
def test_a_link_is_compared_in_constant_time(links, channel_USD, kind):
    # given: the link's token, and the same with its signature changed
    token, row = links[kind]
    payload, _, signature = token.rpartition(":")
    changed = f"{payload}:{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    calls = []
    compare = secrets.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return compare(a, b)

    # when
    with mock.patch("secrets.compare_digest", spy):
        genuine = _open(channel_USD, PAGES[kind], token)
        genuine_calls, calls[:] = list(calls), []
        forged = _open(channel_USD, PAGES[kind], changed)

    # then: the signature and the row's nonce are each compared by
    # compare_digest (Django's signing compares with it too)
    assert genuine[0] == 200
    assert forged == (400, "invalid-link")
    assert (row.link_nonce, row.link_nonce) in genuine_calls
    assert any(isinstance(a, bytes) and len(a) == 43 for a, _ in genuine_calls)
    assert [a for a, b in calls if isinstance(a, bytes)] != []


def _swap_signature(token: str, other: str) -> str:
    """``token``'s payload with ``other``'s signature."""
    payload = token.rpartition(":")[0]
    return f"{payload}:{other.rpartition(':')[2]}"


def _resigned(token: str, salt: str, change) -> str:
    """The payload of ``token``, changed by ``change``, signed with the store's
    key: what only someone holding SECRET_KEY could make."""
    row_id, nonce = signing.loads(token, salt=salt)
    return signing.dumps(change(row_id, nonce), salt=salt, compress=False)


def test_a_link_opens_only_its_own_page_and_row(links, channel_USD):
    shortage_token, _ = links["shortage"]
    survey_token, survey = links["survey"]
    their_token, theirs = links["their survey"]

    # the page of the other kind of link (each is signed for its purpose)
    assert _open(channel_USD, "survey", shortage_token) == (400, "invalid-link")
    assert _open(channel_USD, "stock-shortage", survey_token) == (400, "invalid-link")
    # one customer's signature on another customer's survey
    assert _open(channel_USD, "survey", _swap_signature(their_token, survey_token)) == (
        400,
        "invalid-link",
    )
    # another row's id with this link's nonce, even signed with the store's key
    assert _open(
        channel_USD,
        "survey",
        _resigned(
            survey_token, tokens.TOKEN_SALT, lambda _, nonce: [str(theirs.pk), nonce]
        ),
    ) == (400, "invalid-link")
    assert _open(
        channel_USD,
        "stock-shortage",
        _resigned(
            shortage_token,
            shortages.CHOICE_TOKEN_SALT,
            lambda _, nonce: [str(uuid.uuid4()), nonce],
        ),
    ) == (404, "order-gone")
    # the GraphQL mutation refuses a survey's link as a choice
    answer = get_graphql_content(
        Client().post(
            "/graphql/",
            {"query": CHOOSE, "variables": {"token": survey_token, "choice": "WAIT"}},
            content_type="application/json",
        )
    )["data"]["serviceStockShortageChoose"]
    assert answer == {"result": None, "errors": [{"field": "token", "code": "INVALID"}]}
    # and each genuine link opens its own row only
    assert tokens.verified_survey(survey_token).pk == survey.pk
    assert tokens.verified_survey(their_token).pk == theirs.pk
    assert StockShortage.objects.exclude(chosen_at=None).count() == 0
    assert Survey.objects.exclude(answered_at=None).count() == 0


def test_an_expired_link_says_it_expired_not_that_it_is_invalid(links, channel_USD):
    shortage_token, _ = links["shortage"]
    survey_token, _ = links["survey"]
    past = datetime(2024, 3, 5, 14, 30, tzinfo=UTC)
    StockShortage.objects.update(link_expires_at=past)
    Survey.objects.update(closes_at=past)
    client = Client(REMOTE_ADDR="203.0.113.9")

    assert _open(channel_USD, "stock-shortage", shortage_token, client) == (
        410,
        "expired",
    )
    assert _open(channel_USD, "survey", survey_token, client) == (410, "survey-closed")
    answer = get_graphql_content(
        client.post(
            "/graphql/",
            {"query": CHOOSE, "variables": {"token": shortage_token, "choice": "WAIT"}},
            content_type="application/json",
        )
    )["data"]["serviceStockShortageChoose"]
    assert answer == {"result": None, "errors": [{"field": "token", "code": "EXPIRED"}]}
    assert StockShortage.objects.get().chosen_at is None


@pytest.mark.parametrize("kind", ["shortage", "survey"])
def test_links_outlive_a_secret_key_rotation_while_the_old_key_is_a_fallback(
    links, channel_USD, settings, kind
):
    # given: the link was signed with the key before the rotation
    token, _ = links[kind]
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = f"rotated-{uuid.uuid4().hex}{uuid.uuid4().hex}"

    # when the old key is kept as a fallback, then once it is dropped
    settings.SECRET_KEY_FALLBACKS = [old_key]
    kept = _open(channel_USD, PAGES[kind], token)
    settings.SECRET_KEY_FALLBACKS = []
    dropped = _open(channel_USD, PAGES[kind], token)

    # then
    assert kept[0] == 200
    assert dropped == (400, "invalid-link")


@pytest.mark.django_db(transaction=True)
def test_two_answers_to_one_shortage_link_at_once_record_one(
    plugin_configuration, order_with_lines
):
    # given: a short line's link, answered from two devices at the same moment
    from saleor.plugins.models import PluginConfiguration  # noqa: PLC0415

    PluginConfiguration.objects.filter(channel=order_with_lines.channel).delete()
    plugin_configuration(**shortage_settings())
    set_stock(short_line(order_with_lines), 0)
    run_sweep()
    (notice,) = shortage_notices()
    token = notice.context["data"]["choiceToken"]

    def answer(choice):
        def call():
            try:
                shortages.record_choice(
                    token, choice=choice, alternative_id=None, now=timezone.now()
                )
            except shortages.ChoiceRejected as rejected:
                return ("rejected", rejected.link_state)
            return ("recorded", choice)

        return call

    # when
    results = race(answer("wait"), answer("cancel"))

    # then: one answer is recorded, the other finds the link answered
    assert sorted(outcome for outcome, _ in results) == ["recorded", "rejected"]
    rejected = next(state for outcome, state in results if outcome == "rejected")
    assert str(rejected) == "answered"
    shortage = StockShortage.objects.get()
    recorded = next(choice for outcome, choice in results if outcome == "recorded")
    assert shortage.choice == recorded
