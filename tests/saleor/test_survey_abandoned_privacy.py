"""An abandoned checkout's survey goes to the e-mail the shopper typed, which nobody
verified: it tells nothing of the cart (its items, the name on its address) unless
the checkout was a signed-in customer's own, on their account's e-mail. Through the
sweep's notice, the survey page and ``serviceSurvey``."""

from datetime import timedelta

import pytest
from django.test import Client
from freezegun import freeze_time
from saleor.graphql.tests.utils import get_graphql_content
from shortage_support import page_path, read_page
from survey_support import sent_survey, started_checkout, token_of
from survey_sweep_support import MONDAY, open_store, survey_settings

from saleor_cs_plugin.domain.notices import NoticeType
from saleor_cs_plugin.domain.surveys import Moment
from saleor_cs_plugin.models import Notice
from saleor_cs_plugin.surveys import sweep

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

SURVEY = """
query Survey($token: String!) {
  serviceSurvey(token: $token) {
    survey { moment orderNumber items }
    errors { field code message }
  }
}
"""


def _left(client, channel, variant, email, billing_address=None):
    """A checkout left with a line on Monday; ``billing_address``: the one typed."""
    with freeze_time(MONDAY):
        checkout = started_checkout(
            client, channel=channel, variant=variant, email=email
        )
    if billing_address is not None:
        billing_address.first_name = "Beatrice"
        billing_address.save(update_fields=["first_name"])
        checkout.billing_address = billing_address
        checkout.save(update_fields=["billing_address"])
    return checkout


@pytest.fixture
def store(plugin_configuration, channel_USD, shipping_method, product):
    plugin_configuration(**survey_settings(survey_abandoned_hours="24"))
    open_store(channel_USD, shipping_method)
    return channel_USD, product.variants.get()


def _notice_to(email):
    return Notice.objects.get(notice_type=NoticeType.SURVEY, recipient_email=email)


# The notice ---------------------------------------------------------------------


def test_a_guest_checkouts_notice_does_not_greet_the_name_on_its_address(
    store, api_client, address
):
    # given a guest typed someone's e-mail and a billing address with a name
    channel, variant = store
    _left(api_client, channel, variant, "someone@example.com", billing_address=address)

    # when the sweep asks about it
    report = sweep.sweep(MONDAY + timedelta(days=1, hours=1))

    # then the survey is sent, greeting nobody by name
    assert report.sent == 1
    notice = _notice_to("someone@example.com")
    assert notice.context["customer_name"] == ""
    assert "Beatrice" not in str(notice.context)


def test_a_signed_in_customers_own_checkout_is_greeted_by_name(
    store, user_api_client, customer_user
):
    channel, variant = store
    _left(user_api_client, channel, variant, customer_user.email)

    sweep.sweep(MONDAY + timedelta(days=1, hours=1))

    notice = _notice_to(customer_user.email)
    assert notice.context["customer_name"] == customer_user.first_name
    assert customer_user.first_name


def test_a_signed_in_customers_checkout_with_another_email_tells_no_name(
    store, user_api_client, customer_user, address
):
    # given a signed-in customer typed another address into their checkout
    channel, variant = store
    checkout = _left(
        user_api_client, channel, variant, "friend@example.com", billing_address=address
    )
    assert (checkout.user_id, checkout.email) == (
        customer_user.pk,
        "friend@example.com",
    )

    sweep.sweep(MONDAY + timedelta(days=1, hours=1))

    # then the friend is asked without the account holder's or the address's name
    notice = _notice_to("friend@example.com")
    assert notice.context["customer_name"] == ""
    assert customer_user.first_name not in str(notice.context)
    assert "Beatrice" not in str(notice.context)


# serviceSurvey and the page --------------------------------------------------------


def _survey_of(client, channel, variant, email):
    checkout = _left(client, channel, variant, email)
    return sent_survey(moment=Moment.ABANDONED, checkout=checkout, email=email)


@pytest.mark.parametrize("signed_in", [False, True])
def test_an_unverified_checkouts_survey_shows_no_items(
    store, api_client, user_api_client, signed_in
):
    # given a guest's checkout, or a signed-in customer's with another e-mail
    channel, variant = store
    client = user_api_client if signed_in else api_client
    survey = _survey_of(client, channel, variant, "someone@example.com")
    assert (survey.user_id is not None) is signed_in
    token = token_of(survey)

    # when the link is opened through GraphQL and on the page
    content = get_graphql_content(api_client.post_graphql(SURVEY, {"token": token}))
    page = Client().get(page_path(channel, "survey"), {"token": token})

    # then neither tells what the cart held
    assert content["data"]["serviceSurvey"] == {
        "survey": {"moment": "ABANDONED", "orderNumber": None, "items": []},
        "errors": [],
    }
    assert page.status_code == 200
    _, texts, _ = read_page(page)
    assert "survey-items" not in texts
    assert "survey-order" not in texts
    assert variant.product.name not in page.content.decode()


def test_a_signed_in_customers_own_checkouts_survey_shows_its_items(
    store, api_client, user_api_client, customer_user
):
    channel, variant = store
    survey = _survey_of(user_api_client, channel, variant, customer_user.email)
    token = token_of(survey)

    content = get_graphql_content(api_client.post_graphql(SURVEY, {"token": token}))
    page = Client().get(page_path(channel, "survey"), {"token": token})

    assert content["data"]["serviceSurvey"]["survey"]["items"] == [variant.product.name]
    _, texts, _ = read_page(page)
    assert texts["survey-order"] == "About the basket you left with us"
    assert texts["survey-items"] == variant.product.name
