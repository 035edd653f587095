"""Resolver of ``serviceMetrics``: the service of one channel in one period.

Saleor drops a field's permission check when the field has its own resolver, so the
resolver checks MANAGE_ORDERS itself, and staff of permission groups restricted to
other channels are refused as Saleor refuses them the channel's orders. The metrics
are two statements on the read connection (``metrics.measure``), whatever the
number of orders, answers and history entries.
"""

import graphene
from graphql.error import GraphQLError
from saleor.channel.models import Channel
from saleor.core.exceptions import PermissionDenied
from saleor.graphql.core.context import get_database_connection_name
from saleor.graphql.core.scalars import Date
from saleor.graphql.utils import get_user_or_app_from_context
from saleor.permission.enums import OrderPermissions
from saleor.plugins.models import PluginConfiguration

from .. import fetch
from ..config import PLUGIN_ID, ChannelSettings, SettingsError
from ..domain.coupons import Reason
from ..domain.metrics import (
    REPEAT_WITHIN_DAYS_DEFAULT,
    REPEAT_WITHIN_DAYS_MAX,
    REPEAT_WITHIN_DAYS_MIN,
    check_period,
)
from ..domain.notices import NoticeStatus, NoticeType
from ..domain.surveys import AbandonReason, WrongThing
from ..metrics.measure import measure
from .metrics_types import ServiceMetrics
from .resolvers import accessible_channel_ids


def service_metrics_field() -> graphene.Field:
    """The root field ``serviceMetrics``, as the schema mounts it."""
    return graphene.Field(
        ServiceMetrics,
        required=True,
        channel=graphene.String(
            required=True, description="Slug of the channel measured."
        ),
        since=Date(
            required=True,
            description="First day of the period, in the store's time zone.",
        ),
        until=Date(
            required=True,
            description=(
                "The day after the period's last day (excluded); at most 366 days "
                "after since."
            ),
        ),
        repeat_within_days=graphene.Int(
            default_value=REPEAT_WITHIN_DAYS_DEFAULT,
            description=(
                "Days after a first order in which a second one counts as a repeat "
                f"purchase, {REPEAT_WITHIN_DAYS_MIN} to {REPEAT_WITHIN_DAYS_MAX}."
            ),
        ),
        description=(
            "The service of one channel in one period: what the customers answered "
            "in the surveys and what the store kept of its service (promises kept, "
            "contacts, notices, coupon failures, returns, repeat purchases, speed "
            "of answer). "
            "Requires MANAGE_ORDERS; staff of permission groups restricted to other "
            "channels are refused."
        ),
        resolver=resolve_service_metrics,
    )


def resolve_service_metrics(
    _root, info, *, channel, since, until, repeat_within_days=REPEAT_WITHIN_DAYS_DEFAULT
):
    requestor = get_user_or_app_from_context(info.context)
    if not (requestor and requestor.has_perm(OrderPermissions.MANAGE_ORDERS)):
        raise PermissionDenied(permissions=[OrderPermissions.MANAGE_ORDERS])
    problems = check_period(since, until, repeat_within_days=repeat_within_days)
    if problems:
        raise GraphQLError(
            " ".join(f"{problem.field}: {problem.message}" for problem in problems)
        )
    using = get_database_connection_name(info.context)
    channel_row = Channel.objects.using(using).filter(slug=channel).first()
    if channel_row is None:
        raise GraphQLError(f"channel: There is no channel with the slug '{channel}'.")
    channel_ids = accessible_channel_ids(info)
    if channel_ids is not None and channel_row.pk not in channel_ids:
        raise PermissionDenied(
            message=(
                "You do not have access to this channel: your permission groups "
                "are restricted to other channels."
            )
        )
    settings = _settings(channel_row.pk, using)
    metrics = measure(
        channel_row.pk,
        since,
        until,
        repeat_within_days=repeat_within_days,
        using=using,
        time_zone=settings.time_zone,
        answer_hours=settings.conversations.answer_hours,
    )
    return {
        "channel": channel_row.slug,
        "since": since,
        "until": until,
        "surveys_sent": metrics.surveys_sent,
        "surveys_answered": metrics.surveys_answered,
        "response_rate": _float(metrics.response_rate),
        "satisfied": _float(metrics.satisfied_percent),
        "handled_as_wanted": _float(metrics.handled_as_wanted_percent),
        "what_went_wrong": _answers(metrics.what_went_wrong, WrongThing),
        "why_not_completed": _answers(metrics.why_not_completed, AbandonReason),
        "on_time_shipping": _float(metrics.on_time_shipping_percent),
        "on_time_delivery": _float(metrics.on_time_delivery_percent),
        "first_contact_resolution": _float(metrics.first_contact_resolution_percent),
        "notices": [
            {
                "type": NoticeType(notice_type),
                "status": NoticeStatus(status),
                "count": count,
            }
            for (notice_type, status), count in metrics.notices.items()
        ],
        "coupon_failures": [
            {"reason": Reason(reason), "count": count}
            for reason, count in sorted(
                metrics.coupon_failures.items(), key=lambda item: (-item[1], item[0])
            )
        ],
        "return_rate": _float(metrics.return_rate_percent),
        "repeat_purchase": metrics.repeat_purchase,
        "answer_speed": metrics.answer_speed,
    }


def _settings(channel_id, using: str) -> ChannelSettings:
    # A day of the period is a day in the store's time zone, and answers count in
    # its answering hours; settings saved before a rule changed and no longer valid
    # fall back to the defaults (UTC days, the default hours and targets) rather
    # than fail.
    configuration = (
        PluginConfiguration.objects.using(using)
        .filter(identifier=PLUGIN_ID, channel_id=channel_id)
        .values_list("configuration", flat=True)
        .first()
    )
    try:
        return fetch.settings_of(configuration or [])
    except SettingsError:
        return ChannelSettings()


def _answers(counts: dict[str, int], enum) -> list[dict]:
    # The most frequent first, as the merchant reads them.
    return [
        {"answer": enum(answer), "count": count}
        for answer, count in sorted(
            counts.items(), key=lambda item: (-item[1], item[0])
        )
    ]


def _float(value):
    return None if value is None else float(value)
