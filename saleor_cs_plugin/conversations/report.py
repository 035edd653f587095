"""A customer reports a problem with an order (from the storefront through
GraphQL, or on the plugin's own page): the report is a message of the customer's
conversation on the web (opened, or reopened), with the order attached, and staff
are alerted in the inbox.

Who may report is the caller's to check (the order's signed-in customer, or
whoever holds Saleor's order token); this module files what it is given. One
order takes at most ``MAX_REPORTS_PER_DAY`` reports in 24 hours, so a token
holder cannot flood the inbox.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from saleor.order.models import Order

from .. import staff_alerts
from ..config import ChannelSettings
from ..domain.alerts import AlertKind, problem_reported_alert
from ..domain.conversations import (
    REPORT_MAX_LENGTH,
    REPORTED_PROBLEM_TEXTS,
    InboundMessage,
    ReportedProblem,
    check_written_text,
    report_message,
)
from ..domain.history import ContactChannel
from ..models import ConversationMessage
from . import record
from .identity import Customer
from .reply import ConversationError

MAX_REPORTS_PER_DAY = 5


@dataclass(frozen=True)
class Reported:
    conversation_id: object
    message_id: object
    entry_id: object
    # Notices recorded with it (the acknowledgement), to deliver after commit.
    notice_ids: tuple


def order_customer(order: Order) -> Customer | None:
    """Who placed ``order``: its account, else the guest's e-mail; None when the
    order has neither."""
    if order.user_id is not None and order.user.email:
        return Customer(user_id=order.user_id, email=order.user.email.lower())
    if order.user_email:
        return Customer(user_id=None, email=order.user_email.lower())
    return None


def report_problem(
    order: Order,
    *,
    problem: ReportedProblem,
    text: str,
    channel_settings: ChannelSettings,
    now: datetime,
) -> Reported:
    """File the report of ``problem`` with ``order`` in the words of ``text``."""
    wrong = check_written_text(text, max_length=REPORT_MAX_LENGTH)
    if wrong:
        raise ConversationError("text", wrong, "invalid")
    customer = order_customer(order)
    if customer is None:
        raise ConversationError(
            "order",
            "The order has no customer e-mail to answer the report to.",
            "not_deliverable",
        )
    with transaction.atomic():
        recent = ConversationMessage.objects.filter(
            order=order, created_at__gte=now - timedelta(hours=24)
        ).exclude(problem="")
        if recent.count() >= MAX_REPORTS_PER_DAY:
            raise ConversationError(
                "order",
                f"The order has {MAX_REPORTS_PER_DAY} reports in the last 24 hours; "
                "the store will answer them. Write again tomorrow.",
                "too_many_reports",
            )
        filed = record.file_message(
            channel=order.channel,
            sender=customer.email,
            message=InboundMessage(
                contact_channel=ContactChannel.WEB,
                sender=customer.email,
                text=report_message(problem, text),
                message_id="",
                sent_at=now,
            ),
            customer=customer,
            order=order,
            channel_settings=channel_settings,
            problem=problem,
        )
        message = ConversationMessage.objects.get(pk=filed.message_id)
        draft = problem_reported_alert(
            message_id=str(message.pk),
            conversation_id=str(filed.conversation_id),
            problem_text=REPORTED_PROBLEM_TEXTS[problem],
            kind=problem.value,
            order_number=str(order.number),
            customer=customer.email,
        )
        staff_alerts.raise_alert(
            kind=AlertKind.PROBLEM_REPORTED,
            cause_key=draft.cause_key,
            title=draft.title,
            message=draft.message,
            details=draft.details,
            now=now,
            channel_id=order.channel_id,
            order_id=order.pk,
        )
    return Reported(
        conversation_id=filed.conversation_id,
        message_id=filed.message_id,
        entry_id=message.entry_id,
        notice_ids=filed.notice_ids,
    )
