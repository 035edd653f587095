"""Resolvers of ``servicePromotedCodes`` and ``serviceCouponFailureStats``.

Saleor drops a field's permission check when the field has its own resolver, so each
resolver checks MANAGE_DISCOUNTS itself. The health of promoted codes is computed
when asked, in a fixed number of queries whatever the number of codes.
"""

from django.db.models import Count
from django.utils import timezone
from graphql.error import GraphQLError
from saleor.channel.models import Channel
from saleor.core.exceptions import PermissionDenied
from saleor.graphql.core.context import get_database_connection_name
from saleor.permission.enums import DiscountPermissions

from .. import promoted_codes
from ..domain.coupons import Reason
from ..domain.history import check_date_range
from ..models import CouponFailure, PromotedCode
from .coupon_resolvers import is_discount_staff


def require_manage_discounts(info) -> None:
    if not is_discount_staff(info):
        raise PermissionDenied(permissions=[DiscountPermissions.MANAGE_DISCOUNTS])


def _channel_id(slug: str, using: str):
    channel_id = (
        Channel.objects.using(using)
        .filter(slug=slug)
        .values_list("pk", flat=True)
        .first()
    )
    if channel_id is None:
        raise GraphQLError(f"channel: There is no channel with the slug '{slug}'.")
    return channel_id


def resolve_promoted_codes(
    _root, info, *, channel=None, health=None, include_ended=False
):
    require_manage_discounts(info)
    using = get_database_connection_name(info.context)
    now = timezone.now()
    rows = PromotedCode.objects.using(using).select_related("channel")
    if channel is not None:
        rows = rows.filter(channel_id=_channel_id(channel, using))
    if not include_ended:
        rows = rows.filter(promoted_codes.promoted(now))
    statuses = promoted_codes.health_of(list(rows), now, using=using)
    if health:
        wanted = {str(value) for value in health}
        statuses = [s for s in statuses if s.check.health.value in wanted]
    return statuses


def resolve_coupon_failure_stats(_root, info, *, since, until=None, channel=None):
    require_manage_discounts(info)
    for problem in check_date_range(since, until, field="until"):
        raise GraphQLError(
            f"{problem.field}: The period starts after it ends: 'since' must not be "
            "later than 'until'."
        )
    using = get_database_connection_name(info.context)
    failures = CouponFailure.objects.using(using).filter(created_at__gte=since)
    if until is not None:
        failures = failures.filter(created_at__lt=until)
    if channel is not None:
        failures = failures.filter(channel_id=_channel_id(channel, using))
    rows = (
        failures.order_by()
        .values("code", "reason")
        .annotate(count=Count("id"))
        .order_by("-count", "code", "reason")
    )
    return [
        {"code": row["code"], "reason": Reason(row["reason"]), "count": row["count"]}
        for row in rows
    ]
