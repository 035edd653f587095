"""The problem-report page: a customer tells the store what went wrong with an
order, on a page the plugin serves for stores whose storefront has none for it
(the storefront's own way is ``serviceProblemReport``).

Its link carries Saleor's token of the order (the order's UUID, as Saleor's
``orderByToken`` takes it) in ``?order=``: whoever holds it may report, as with
the mutation. GET shows the order's number and items, the kinds of problem and a
text field; a POST files the report through ``conversations.report.report_problem``
(the use case the mutation shares), then redirects (Post/Redirect/Get) to the
confirmation: the store answers by e-mail, and, while nobody is answering, by
when. A token that names no order of this channel (a draft is none) is a bad
link, counted by the throttle.
"""

import uuid
from datetime import datetime, timedelta

from babel.numbers import format_decimal
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from saleor.order import OrderStatus
from saleor.order.models import Order, OrderLine

from ..conversations import report
from ..conversations.reply import ConversationError
from ..domain import items
from ..domain.conversations import (
    REPORT_MAX_LENGTH,
    ReportedProblem,
    check_written_text,
)
from ..domain.history import ContactChannel
from ..language import babel_locale, for_order, words_for
from ..models import ConversationMessage
from ..tasks import schedule_delivery
from . import views

# The query parameter, and the form's field, of the order's token.
ORDER_PARAMETER = "order"
PROBLEM_FIELD = "problem"
TEXT_FIELD = "text"
# The confirmation shows the order's latest report of this long ago at most (the
# use case's window of reports per order).
CONFIRMATION_WINDOW = timedelta(hours=24)

# How customers read each kind, in the order the form offers them.
PROBLEM_LABELS = {
    ReportedProblem.LATE: gettext_lazy("My order is late"),
    ReportedProblem.DAMAGED: gettext_lazy("Something arrived damaged"),
    ReportedProblem.WRONG_ITEM: gettext_lazy("I got the wrong item"),
    ReportedProblem.MISSING_ITEM: gettext_lazy("An item is missing"),
    ReportedProblem.COUPON_OR_PRICE: gettext_lazy("A coupon or the price is wrong"),
    ReportedProblem.OTHER: gettext_lazy("Something else"),
}


def problem_report(visit: views.Visit) -> HttpResponse:
    """The report form of the link's order: GET shows it, POST files the report."""
    return views.guarded_form(
        visit, show=_show, answer=_answer, token_parameter=ORDER_PARAMETER
    )


def _show(visit: views.Visit) -> HttpResponse:
    request = visit.request
    order = _order_of(visit, request.GET.get(ORDER_PARAMETER, ""))
    if order is None:
        return views.invalid_link(visit)
    if report.order_customer(order) is None:
        return _unavailable(visit, order, status=200)
    if views.ANSWERED_PARAMETER in request.GET:
        now = timezone.now()
        reported = _latest_report(order, now)
        if reported is not None:
            return _confirmation(visit, order, reported, now=now)
    return _form(visit, order)


def _answer(visit: views.Visit) -> HttpResponse:
    request = visit.request
    order = _order_of(visit, request.POST.get(ORDER_PARAMETER, ""))
    if order is None:
        return views.invalid_link(visit)
    chosen = request.POST.get(PROBLEM_FIELD, "")
    # Browsers send a text field's line breaks as CRLF; its maxlength counted one
    # character each.
    text = request.POST.get(TEXT_FIELD, "").replace("\r\n", "\n")
    errors = {}
    if chosen not in PROBLEM_LABELS:
        errors[PROBLEM_FIELD] = "required"
    if wrong_text := _text_error(text):
        errors[TEXT_FIELD] = wrong_text
    if errors:
        return _form(visit, order, chosen=chosen, text=text, errors=errors)
    try:
        reported = report.report_problem(
            order,
            problem=ReportedProblem(chosen),
            text=text,
            channel_settings=visit.settings,
            now=timezone.now(),
        )
    except ConversationError as error:
        if error.code == "not_deliverable":
            return _unavailable(visit, order, status=409)
        if error.field == TEXT_FIELD:
            errors[TEXT_FIELD] = _text_error(text) or "invalid"
        else:
            errors["order"] = error.code
        return _form(visit, order, chosen=chosen, text=text, errors=errors)
    schedule_delivery(reported.notice_ids)
    return views.answered_redirect(request, str(order.pk), parameter=ORDER_PARAMETER)


def _order_of(visit: views.Visit, token: str) -> Order | None:
    """The order of this channel whose token ``token`` is; None for any other
    text (drafts are no customer's order yet)."""
    try:
        pk = uuid.UUID(token)
    except ValueError:
        return None
    return (
        Order.objects.exclude(status=OrderStatus.DRAFT)
        .filter(pk=pk, channel_id=visit.channel.pk)
        .select_related("user", "channel")
        .first()
    )


def _text_error(text: str) -> str:
    """Which of the form's sentences says what is wrong with ``text`` (the use
    case's rule), or "" when nothing is."""
    if not check_written_text(text, max_length=REPORT_MAX_LENGTH):
        return ""
    if not text.strip():
        return "required"
    if len(text) > REPORT_MAX_LENGTH:
        return "too_long"
    return "invalid"


def _latest_report(order: Order, now: datetime) -> ConversationMessage | None:
    return (
        ConversationMessage.objects.filter(
            order=order, created_at__gte=now - CONFIRMATION_WINDOW
        )
        .exclude(problem="")
        .order_by("-created_at", "-pk")
        .first()
    )


def _item_names(order: Order) -> list[str]:
    """The names of what was ordered, nothing else."""
    lines = (
        OrderLine.objects.filter(order_id=order.pk)
        .select_related("variant")
        .order_by("created_at", "pk")
    )
    return [
        items.item_name(
            line.product_name,
            line.variant_name or "",
            line.product_sku
            or (line.variant.sku if line.variant is not None else "")
            or "",
        )
        for line in lines
    ]


def _language(visit: views.Visit, order: Order) -> str:
    return for_order(order, default=visit.settings.language)


def _about(order: Order) -> dict:
    return {"order_number": str(order.number), "items": _item_names(order)}


def _form(
    visit: views.Visit,
    order: Order,
    *,
    chosen: str = "",
    text: str = "",
    errors: dict | None = None,
) -> HttpResponse:
    language = _language(visit, order)
    options = [
        {
            "id": f"problem-{problem.value.replace('_', '-')}",
            "value": problem.value,
            "label": label,
            "is_checked": problem.value == chosen,
        }
        for problem, label in PROBLEM_LABELS.items()
    ]
    return views.render_page(
        visit,
        "problem_report.html",
        page="problem-report",
        language=language,
        status=400 if errors else 200,
        context={
            **_about(order),
            "options": options,
            "text": text,
            "text_max_length": REPORT_MAX_LENGTH,
            "text_limit": format_decimal(
                REPORT_MAX_LENGTH, locale=babel_locale(language)
            ),
            "token": str(order.pk),
            "action": visit.request.path,
            "errors": errors or {},
        },
    )


def _confirmation(
    visit: views.Visit,
    order: Order,
    reported: ConversationMessage,
    *,
    now: datetime,
) -> HttpResponse:
    language = _language(visit, order)
    hours = visit.settings.conversations.answer_hours
    answer_by = ""
    if not hours.is_open(now):
        try:
            due = hours.answer_due_at(ContactChannel.WEB, now)
        except ValueError:
            # A calendar without working hours promises no time.
            due = None
        if due is not None:
            answer_by = words_for(language).moment(due, hours.calendar.time_zone)
    return views.render_page(
        visit,
        "problem_report_thanks.html",
        page="problem-report-confirmation",
        language=language,
        status=200,
        context={
            **_about(order),
            "problem": PROBLEM_LABELS[ReportedProblem(reported.problem)],
            "answer_by": answer_by,
            "form_url": views.page_url(
                visit.request, token=str(order.pk), parameter=ORDER_PARAMETER
            ),
        },
    )


def _unavailable(visit: views.Visit, order: Order, *, status: int) -> HttpResponse:
    """An order without an e-mail address: the store's answer could reach nobody."""
    return views.render_page(
        visit,
        "problem_report_unavailable.html",
        page="problem-report-unavailable",
        language=_language(visit, order),
        status=status,
        context=_about(order),
    )
