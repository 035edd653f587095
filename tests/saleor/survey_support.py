"""Set-up shared by the survey tests: orders and checkouts placed through Saleor's
/graphql/ as a storefront places them, and survey rows in the state the sweep leaves
a survey it sent (SENT, a link nonce, a closing time, the customer's language)."""

from datetime import timedelta

import graphene
from django.utils import timezone
from saleor.checkout.models import Checkout
from saleor.order.models import Order
from storefront import place_order, start_checkout

from saleor_cs_plugin.domain.surveys import Moment, ProblemKind, SurveyStatus
from saleor_cs_plugin.models import Survey
from saleor_cs_plugin.surveys.tokens import new_nonce, survey_token, verified_survey

STOREFRONT = "https://shop.example.com"


def survey_settings(**extra):
    """Plugin settings for survey tests: notices through Saleor's notifications (no
    peer needed), no quiet hours."""
    return {
        "storefront_url": STOREFRONT,
        "notice_transports": "*=saleor_notify",
        "quiet_hours": "",
        **extra,
    }


def open_for_orders(channel):
    """The channel takes unpaid orders, as a storefront test needs."""
    channel.allow_unpaid_orders = True
    channel.automatically_confirm_all_new_orders = True
    channel.save()


def placed_order(
    api_client,
    *,
    channel,
    variant,
    shipping_method,
    quantity=1,
    email="shopper@example.com",
) -> Order:
    """An order placed through /graphql/ by ``api_client`` (a signed-in customer
    places it as their own)."""
    open_for_orders(channel)
    placed = place_order(
        api_client,
        channel=channel,
        lines=[(variant, quantity)],
        shipping_method=shipping_method,
        email=email,
    )
    _, order_id = graphene.Node.from_global_id(placed["id"])
    return Order.objects.get(pk=order_id)


def started_checkout(
    api_client, *, channel, variant, quantity=1, email="shopper@example.com"
) -> Checkout:
    """A checkout left with a line, as a shopper leaves it."""
    checkout_id = start_checkout(
        api_client, channel=channel, lines=[(variant, quantity)], email=email
    )
    _, token = graphene.Node.from_global_id(checkout_id)
    return Checkout.objects.get(token=token)


def sent_survey(
    *,
    moment: Moment,
    order: Order | None = None,
    checkout: Checkout | None = None,
    problem: ProblemKind | None = None,
    problem_ref: str = "",
    channel=None,
    user=None,
    email: str = "",
    language: str = "",
    sent_at=None,
    link_valid_days: int = 14,
    **answers,
) -> Survey:
    """A survey the sweep sent: of ``order`` (completed, after a problem) or
    ``checkout`` (abandoned), to its customer. ``answers``: answers already given."""
    sent_at = sent_at or timezone.now()
    source = order if order is not None else checkout
    if user is None and source is not None and source.user_id:
        user = source.user
    if not email and source is not None:
        email = (
            getattr(source, "user_email", "")
            or getattr(source, "email", "")
            or (user.email if user is not None else "")
        )
    if channel is None and source is not None:
        channel = source.channel
    if moment == Moment.COMPLETED:
        key = f"completed:{order.pk}"
    elif moment == Moment.ABANDONED:
        key = f"abandoned:{checkout.token}"
    else:
        key = f"after_problem:{problem}:{problem_ref or new_nonce()}"
    return Survey.objects.create(
        survey_key=key,
        moment=moment,
        problem_kind=problem or "",
        problem_ref=problem_ref,
        channel=channel,
        order=order,
        checkout_token=checkout.token if checkout is not None else None,
        user=user,
        email=email.lower(),
        language=language,
        status=SurveyStatus.SENT,
        sent_at=sent_at,
        closes_at=sent_at + timedelta(days=link_valid_days),
        link_nonce=new_nonce(),
        **answers,
    )


def token_of(survey: Survey) -> str:
    """A token of the survey's link. Tokens carry the second they were signed in:
    compare what a token opens (``opened_by``), not two tokens."""
    return survey_token(survey)


def opened_by(token: str):
    """The id of the survey ``token`` opens."""
    return verified_survey(token).pk


def survey_id(survey: Survey) -> str:
    return graphene.Node.to_global_id("ServiceSurvey", survey.pk)
