"""Resolver of ``serviceStaffAlerts``: the staff inbox, newest first.

Saleor drops a field's permission check when the field has its own resolver, so the
resolver checks the requestor's reach itself. The alerts are sliced in SQL; their
channels, orders and who marked them done come through DataLoaders, so the number
of queries does not grow with the page.
"""

from graphql.error import GraphQLError
from saleor.graphql.core.connection import create_connection_slice
from saleor.graphql.core.context import get_database_connection_name

from .. import staff_alerts
from ..domain.alerts import AlertKind
from ..domain.history import check_date_range
from .staff_alert_access import require_inbox_reach
from .staff_alert_types import ServiceStaffAlertCountableConnection


def resolve_staff_alerts(_root, info, **kwargs):
    reach = require_inbox_reach(info)
    alerts = staff_alerts.within(
        reach, using=get_database_connection_name(info.context)
    )
    filter_input = kwargs.get("filter") or {}
    if filter_input.get("kinds"):
        alerts = alerts.filter(
            kind__in=[
                AlertKind(getattr(k, "value", k)).value for k in filter_input["kinds"]
            ]
        )
    if filter_input.get("is_open") is not None:
        alerts = alerts.filter(resolved_at__isnull=filter_input["is_open"])
    if filter_input.get("channels"):
        alerts = alerts.filter(channel__slug__in=filter_input["channels"])
    created_at = filter_input.get("created_at") or {}
    start, end = created_at.get("gte"), created_at.get("lte")
    for problem in check_date_range(start, end, field="filter.createdAt"):
        raise GraphQLError(f"{problem.field}: {problem.message}")
    if start is not None:
        alerts = alerts.filter(created_at__gte=start)
    if end is not None:
        alerts = alerts.filter(created_at__lte=end)
    return create_connection_slice(
        alerts, info, kwargs, ServiceStaffAlertCountableConnection
    )
