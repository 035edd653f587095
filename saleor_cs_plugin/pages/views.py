"""The views of the plugin's pages: each reads the token, calls one use case and
renders its template in the customer's language. The stock-shortage page (its use
cases in ``shortages``) is here, with what every page shares: ``Visit``,
``guarded_form``, ``invalid_link``, ``page_url`` and ``render_page``; the survey
page is in ``survey``, the problem-report page in ``problem``.

Saleor has no CSRF middleware and routes every plugin URL to the plugin's
``webhook``; a page with a form applies Django's CSRF protection itself
(``guarded_form``: ``csrf_protect``, the form's ``{% csrf_token %}``). Every page
is sent with headers that keep it out of caches and frames, and lets it load
nothing from elsewhere.
"""

import logging
import math
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import graphene
from django.contrib.sites.models import Site
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_protect

from .. import fetch, shortages
from ..client_address import client_address
from ..config import ChannelSettings, SettingsError
from ..domain.shortages import (
    LinkState,
    restock_sentence,
    restored_sentence,
    shortage_apology,
)
from ..language import activated, choose, for_order, words_for
from ..tasks import schedule_delivery
from . import throttle

logger = logging.getLogger(__name__)

TEMPLATE_DIR = "saleor_cs_plugin/pages"
# The pages load nothing: their only style is inline, their only form posts here.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
# The query parameter of the confirmation after an answer (Post/Redirect/Get).
ANSWERED_PARAMETER = "answered"


@dataclass(frozen=True)
class Visit:
    """A request to one of the pages, with the channel it is for."""

    request: HttpRequest
    channel: object
    settings: ChannelSettings
    store_name: str

    @classmethod
    def of(cls, request: HttpRequest, *, channel, configuration) -> "Visit":
        try:
            settings = fetch.settings_of(configuration)
        except SettingsError as error:
            # The page still works: the answer is recorded, and staff see it.
            logger.warning(
                "Pages of channel %s use default settings: invalid settings (%s).",
                channel.slug,
                error,
            )
            settings = ChannelSettings()
        site_name = Site.objects.get_current().name
        return cls(
            request=request,
            channel=channel,
            settings=settings,
            store_name=site_name or channel.name,
        )

    @property
    def language(self) -> str:
        """The channel's language, for a page that is about no order."""
        return choose(default=self.settings.language)

    @property
    def client_address(self) -> str | None:
        """Whom the throttle counts: the address the channel's trusted proxies
        saw (``client_address``)."""
        return client_address(self.request, self.settings.trusted_proxies)


def not_found(visit: Visit) -> HttpResponse:
    return render_page(visit, "not_found.html", page="not-found", status=404)


def stock_shortage(visit: Visit) -> HttpResponse:
    """The stock-shortage choice: GET shows the options of the link's token, POST
    records the answer (single use, until the link expires)."""
    return guarded_form(visit, show=_show, answer=_answer)


def guarded_form(
    visit: Visit, *, show, answer, token_parameter: str = "token"
) -> HttpResponse:
    """A page with a form: ``show(visit)`` answers GET, ``answer(visit)`` POST,
    once the address is not throttled, and a POST only past Django's CSRF check
    (refused: the *Your answer was not sent* page, nothing recorded, linking back
    to the page with the form's ``token_parameter``)."""
    request = visit.request
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    verdict = throttle.check(visit.client_address, now=time.time())
    if not verdict.is_allowed:
        response = render_page(
            visit,
            "too_many_attempts.html",
            page="too-many-attempts",
            status=429,
            context={"minutes": math.ceil(verdict.retry_after / 60)},
        )
        response["Retry-After"] = str(verdict.retry_after)
        return response
    reached = False

    @csrf_protect
    def view(request):
        nonlocal reached
        reached = True
        if request.method == "POST":
            return answer(visit)
        return show(visit)

    response = view(request)
    if not reached:
        # CSRF protection refused the POST before the view: nothing was recorded.
        token = request.POST.get(token_parameter, "")
        again = page_url(request, token=token, parameter=token_parameter)
        return render_page(
            visit,
            "form_expired.html",
            page="form-expired",
            status=403,
            context={"page_url": again if token else ""},
        )
    return response


def invalid_link(visit: Visit) -> HttpResponse:
    """A token that names nothing of this channel: counted by the throttle."""
    throttle.count_bad_token(visit.client_address, now=time.time())
    return render_page(visit, "invalid_link.html", page="invalid-link", status=400)


def _show(visit: Visit) -> HttpResponse:
    request = visit.request
    token = request.GET.get("token", "")
    try:
        link = shortages.open_link(
            token, channel_id=visit.channel.pk, now=timezone.now()
        )
    except shortages.ChoiceRejected as rejected:
        return _bad_link(visit, rejected)
    if link.state == LinkState.OPEN:
        return _choice_form(visit, link, token=token)
    return _closed_link(
        visit, link, is_answer=False, is_confirmation=ANSWERED_PARAMETER in request.GET
    )


def _answer(visit: Visit) -> HttpResponse:
    request = visit.request
    token = request.POST.get("token", "")
    choice, _, alternative = request.POST.get("choice", "").partition(":")
    alternative_id = None
    if alternative:
        try:
            type_name, alternative_id = graphene.Node.from_global_id(alternative)
        except (ValueError, TypeError, UnicodeDecodeError):
            type_name = None
        if type_name != "ProductVariant":
            return _answer_refused(visit, token, field="alternative")
    try:
        outcome = shortages.record_choice(
            token,
            choice=choice,
            alternative_id=alternative_id,
            now=timezone.now(),
            channel_id=visit.channel.pk,
        )
    except shortages.ChoiceRejected as rejected:
        if rejected.link_state is not None:
            link = shortages.open_link(
                token, channel_id=visit.channel.pk, now=timezone.now()
            )
            return _closed_link(visit, link, is_answer=True, is_confirmation=False)
        if any(problem.field == "token" for problem in rejected.problems):
            return _bad_link(visit, rejected)
        return _answer_refused(visit, token, field=rejected.problems[0].field)
    schedule_delivery(outcome.notice_ids)
    return answered_redirect(request, token)


def answered_redirect(
    request: HttpRequest, token: str, *, parameter: str = "token"
) -> HttpResponse:
    """After an answer, the page's confirmation (Post/Redirect/Get); the address
    carries the token (in the query's ``parameter``), so nothing keeps it."""
    response = HttpResponse(status=303)
    response["Location"] = page_url(
        request, token=token, answered=True, parameter=parameter
    )
    add_never_cache_headers(response)
    return response


def _answer_refused(visit: Visit, token: str, *, field: str) -> HttpResponse:
    """The form again, saying what to fix (the link itself is checked first)."""
    try:
        link = shortages.open_link(
            token, channel_id=visit.channel.pk, now=timezone.now()
        )
    except shortages.ChoiceRejected as rejected:
        return _bad_link(visit, rejected)
    if link.state != LinkState.OPEN:
        return _closed_link(visit, link, is_answer=True, is_confirmation=False)
    return _choice_form(visit, link, token=token, error_field=field, status=400)


def page_url(
    request: HttpRequest,
    *,
    token: str,
    answered: bool = False,
    parameter: str = "token",
) -> str:
    """The page's own address with ``token`` in the query's ``parameter`` (and the
    confirmation's parameter)."""
    query = {parameter: token}
    if answered:
        query[ANSWERED_PARAMETER] = "1"
    return f"{request.path}?{urlencode(query)}"


def _language_of(visit: Visit, link: shortages.ChoiceLink) -> str:
    return for_order(link.shortage.order, default=visit.settings.language)


def _choice_form(
    visit: Visit,
    link: shortages.ChoiceLink,
    *,
    token: str,
    error_field: str = "",
    status: int = 200,
) -> HttpResponse:
    language = _language_of(visit, link)
    words = words_for(language)
    shortage = link.shortage
    alternatives = [
        {
            "id": f"choice-switch-{number}",
            "value": f"switch:{alternative.global_id}",
            "name": alternative.name,
            "price": words.money(alternative.price, link.currency),
            "is_in_stock": alternative.is_in_stock,
        }
        for number, alternative in enumerate(link.alternatives, start=1)
    ]
    return render_page(
        visit,
        "choice.html",
        page="choice",
        language=language,
        status=status,
        context={
            "item_name": link.item_name,
            "order_number": str(shortage.order.number),
            "apology": shortage_apology(
                words=words,
                item_name=link.item_name,
                quantity_short=link.quantity_short,
                quantity_ordered=link.quantity_ordered,
            ),
            "estimate": restock_sentence(
                words=words, estimate=shortage.restock_estimate
            ),
            "alternatives": alternatives,
            "expires_at": words.moment(
                shortage.link_expires_at, visit.settings.time_zone
            ),
            "token": token,
            "action": visit.request.path,
            "error_field": error_field,
        },
    )


# LinkState -> (template, page name, status of a GET, status of an answer)
CLOSED_PAGES = {
    LinkState.ANSWERED: ("answered.html", "already-answered", 200, 409),
    LinkState.EXPIRED: ("expired.html", "expired", 410, 410),
    LinkState.RESTORED: ("back_in_stock.html", "back-in-stock", 200, 409),
    LinkState.ENDED: ("no_longer_waiting.html", "no-longer-waiting", 200, 409),
}


def _closed_link(
    visit: Visit, link: shortages.ChoiceLink, *, is_answer: bool, is_confirmation: bool
) -> HttpResponse:
    """A genuine link that takes no answer (any more): which, and what to do."""
    language = _language_of(visit, link)
    words = words_for(language)
    template, page, get_status, answer_status = CLOSED_PAGES[link.state]
    if link.state == LinkState.ANSWERED and is_confirmation and not is_answer:
        page = "confirmation"
    shortage = link.shortage
    return render_page(
        visit,
        template,
        page=page,
        language=language,
        status=answer_status if is_answer else get_status,
        context={
            "item_name": link.item_name,
            "order_number": str(shortage.order.number),
            "choice": shortage.choice,
            "alternative_name": link.chosen_alternative_name,
            "expired_at": words.moment(
                shortage.link_expires_at, visit.settings.time_zone
            ),
            "good_news": restored_sentence(words=words, item_name=link.item_name),
        },
    )


def _bad_link(visit: Visit, rejected: shortages.ChoiceRejected) -> HttpResponse:
    """A token that names no shortage of this channel (counted by the throttle), or
    one whose order is gone."""
    if rejected.is_bad_token:
        return invalid_link(visit)
    return render_page(visit, "order_gone.html", page="order-gone", status=404)


def render_page(
    visit: Visit,
    template: str,
    *,
    page: str,
    status: int,
    language: str | None = None,
    context: dict | None = None,
) -> HttpResponse:
    language = language or visit.language
    support_contact = visit.settings.support_contact
    if hasattr(support_contact, "for_language"):
        support_contact = support_contact.for_language(language)
    with activated(language):
        response = render(
            visit.request,
            f"{TEMPLATE_DIR}/{template}",
            {
                "page": page,
                "language": language,
                "store_name": visit.store_name,
                "support_contact": support_contact,
                **(context or {}),
            },
            status=status,
        )
    response["Content-Language"] = language
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response["X-Frame-Options"] = "DENY"
    response["Referrer-Policy"] = "same-origin"
    add_never_cache_headers(response)
    return response
