"""Surveys that become due later: an order shipped or delivered, a problem handled.

Each call records one SCHEDULED survey row with its ``due_at``, named by its
occasion (``survey_key``): the same occasion seen twice is one row, and its
``due_at`` moves only while it is still scheduled (a delivery confirmed after the
shipment asks days after the delivery instead). Nothing is recorded when the
plugin is off in the channel or the channel does not ask at that moment; the
sweep (``surveys.sweep``) decides each due row then (sample, fatigue, cancelled).

These run inside the caller's transaction and do no network I/O.
"""

import logging
from datetime import datetime, timedelta

from django.utils import timezone
from saleor.order import FulfillmentStatus, OrderStatus
from saleor.order.models import Fulfillment, Order

from .. import fetch
from ..config import SettingsError, SurveySettings
from ..domain.surveys import Moment, ProblemKind, SurveyStatus
from ..models import DeliveryPromise, Survey

logger = logging.getLogger(__name__)

# Fulfilments in these states have not left, or never will (as promises sees them).
NOT_SHIPPED_FULFILLMENT_STATUSES = (
    FulfillmentStatus.WAITING_FOR_APPROVAL,
    FulfillmentStatus.CANCELED,
)


def completed_key(order_id) -> str:
    return f"completed:{order_id}"


def abandoned_key(checkout_token) -> str:
    return f"abandoned:{checkout_token}"


def after_problem_key(kind: ProblemKind, ref) -> str:
    return f"after_problem:{ProblemKind(kind).value}:{ref}"


def schedule_completed(order_id, *, handled_at: datetime) -> None:
    """Ask the order's customer ``survey_completed_days`` after ``handled_at`` (its
    last fulfilment shipped, or its delivery confirmed: a later call moves the
    day while the survey waits)."""
    order = (
        Order.objects.filter(pk=order_id)
        .values("pk", "channel_id", "user_id", "user_email", "user__email")
        .first()
    )
    if order is None:
        return
    surveys = _survey_settings(order["channel_id"], Moment.COMPLETED)
    if surveys is None:
        return
    _schedule(
        survey_key=completed_key(order_id),
        moment=Moment.COMPLETED,
        due_at=handled_at + timedelta(days=surveys.completed_days),
        channel_id=order["channel_id"],
        order_id=order["pk"],
        user_id=order["user_id"],
        email=order["user_email"] or order["user__email"] or "",
    )


def schedule_shipped(fulfillment_id) -> None:
    """A fulfilment left: when it was the order's last, the completed-order survey
    counts its days from it (from the delivery instead, once one was confirmed)."""
    fulfillment = (
        Fulfillment.objects.filter(pk=fulfillment_id)
        .exclude(status__in=NOT_SHIPPED_FULFILLMENT_STATUSES)
        .values("order_id", "order__status", "created_at")
        .first()
    )
    if fulfillment is None or fulfillment["order__status"] != OrderStatus.FULFILLED:
        return
    delivered_at = (
        DeliveryPromise.objects.filter(order_id=fulfillment["order_id"])
        .values_list("delivered_at", flat=True)
        .first()
    )
    schedule_completed(
        fulfillment["order_id"], handled_at=delivered_at or fulfillment["created_at"]
    )


def schedule_after_problem(
    *,
    kind: ProblemKind,
    ref: str,
    order_id=None,
    user_id=None,
    email: str,
    channel_id,
    handled_at: datetime,
) -> None:
    """Ask whether the problem ``kind`` recorded as ``ref`` (a promise, a shortage,
    an honored code, a history entry) was handled the way the customer wanted,
    ``survey_after_problem_days`` after ``handled_at``."""
    surveys = _survey_settings(channel_id, Moment.AFTER_PROBLEM)
    if surveys is None:
        return
    kind = ProblemKind(kind)
    _schedule(
        survey_key=after_problem_key(kind, ref),
        moment=Moment.AFTER_PROBLEM,
        due_at=handled_at + timedelta(days=surveys.after_problem_days),
        channel_id=channel_id,
        order_id=order_id,
        user_id=user_id,
        email=email or "",
        problem_kind=kind.value,
        problem_ref=str(ref),
    )


def _survey_settings(channel_id, moment: Moment) -> SurveySettings | None:
    """The channel's survey settings when the plugin is on there and asks at
    ``moment``; None otherwise."""
    if channel_id is None:
        return None
    try:
        plugin = fetch.channel_plugin(channel_id)
    except SettingsError as error:
        logger.warning(
            "No %s survey scheduled in channel %s: invalid settings (%s).",
            moment.value,
            channel_id,
            error,
        )
        return None
    if not plugin.is_active or not plugin.settings.surveys.moments[moment].is_enabled:
        return None
    return plugin.settings.surveys


def _schedule(*, survey_key: str, due_at: datetime, **values) -> None:
    survey, created = Survey.objects.get_or_create(
        survey_key=survey_key,
        defaults={
            **values,
            "email": values["email"].strip().lower(),
            "status": SurveyStatus.SCHEDULED.value,
            "due_at": due_at,
        },
    )
    if not created and survey.due_at != due_at:
        Survey.objects.filter(pk=survey.pk, status=SurveyStatus.SCHEDULED.value).update(
            due_at=due_at, updated_at=timezone.now()
        )
