"""Resolvers of the plugin's fields: ``serviceHistory`` of users and orders, notices
and notice preferences, and ``Order.deliveryPromise``.

The entries are sliced in SQL (newest first, cursor paginated through the indexes on
user/order and creation time); related objects come through DataLoaders, so the
number of queries does not grow with the page.
"""

from django.db.models import Q
from graphql.error import GraphQLError
from saleor.account.models import User
from saleor.core.exceptions import PermissionDenied
from saleor.graphql.account.utils import get_user_accessible_channels
from saleor.graphql.app.dataloaders import get_app_promise
from saleor.graphql.core.connection import create_connection_slice
from saleor.graphql.core.context import get_database_connection_name
from saleor.graphql.utils import get_user_or_app_from_context
from saleor.permission.auth_filters import AuthorizationFilters
from saleor.permission.enums import AccountPermissions, OrderPermissions

from ..domain.history import Access, check_date_range, history_access
from ..models import Notice, NoticePreference, ServiceHistoryEntry
from .dataloaders import DeliveryPromiseByOrderIdLoader
from .types import (
    ServiceHistoryEntryCountableConnection,
    ServiceNoticeCountableConnection,
    ServiceNoticePreferences,
)


def resolve_user_service_history(root: User, info, **kwargs):
    access = _access(info, owner_id=root.pk, permission=AccountPermissions.MANAGE_USERS)
    # Entries recorded while the customer's order was a guest order belong to the
    # customer once Saleor links the order to the account.
    entries = _entries(info, access).filter(
        Q(user_id=root.pk) | Q(order__user_id=root.pk)
    )
    return _slice(entries, info, kwargs)


def resolve_order_service_history(root, info, **kwargs):
    # Saleor's Order type resolves a context wrapping the order.
    order = root.node
    access = _access(
        info, owner_id=order.user_id, permission=OrderPermissions.MANAGE_ORDERS
    )
    entries = _entries(info, access).filter(order_id=order.pk)
    return _slice(entries, info, kwargs)


def _access(info, *, owner_id, permission) -> Access:
    # The requestor may be a lazy object around None: test its truth, not identity.
    requestor = get_user_or_app_from_context(info.context)
    is_user = bool(requestor) and isinstance(requestor, User)
    access = history_access(
        is_owner=is_user and owner_id is not None and requestor.pk == owner_id,
        has_staff_permission=bool(requestor) and requestor.has_perm(permission),
    )
    if access == Access.NONE:
        raise PermissionDenied(permissions=[permission, AuthorizationFilters.OWNER])
    return access


def _entries(info, access: Access):
    entries = ServiceHistoryEntry.objects.using(
        get_database_connection_name(info.context)
    )
    if access == Access.CUSTOMER_VISIBLE:
        entries = entries.filter(is_customer_visible=True)
    return entries


def _slice(entries, info, kwargs):
    filter_input = kwargs.get("filter") or {}
    if filter_input.get("types"):
        entries = entries.filter(type__in=[str(t) for t in filter_input["types"]])
    created_at = filter_input.get("created_at") or {}
    start, end = created_at.get("gte"), created_at.get("lte")
    for problem in check_date_range(start, end, field="filter.createdAt"):
        raise GraphQLError(f"{problem.field}: {problem.message}")
    if start is not None:
        entries = entries.filter(created_at__gte=start)
    if end is not None:
        entries = entries.filter(created_at__lte=end)
    return create_connection_slice(
        entries, info, kwargs, ServiceHistoryEntryCountableConnection
    )


def accessible_channel_ids(info) -> set | None:
    """The channels a staff user may act in (as for Saleor's orders); None for apps,
    which Saleor does not restrict to channels."""
    if get_app_promise(info.context).get():
        return None
    return {
        channel.id for channel in get_user_accessible_channels(info, info.context.user)
    }


def resolve_service_notices(_root, info, **kwargs):
    requestor = get_user_or_app_from_context(info.context)
    if not (requestor and requestor.has_perm(OrderPermissions.MANAGE_ORDERS)):
        raise PermissionDenied(permissions=[OrderPermissions.MANAGE_ORDERS])
    notices = Notice.objects.using(get_database_connection_name(info.context))
    channel_ids = accessible_channel_ids(info)
    if channel_ids is not None:
        notices = notices.filter(channel_id__in=channel_ids)
    filter_input = kwargs.get("filter") or {}
    if filter_input.get("statuses"):
        notices = notices.filter(status__in=[str(s) for s in filter_input["statuses"]])
    if filter_input.get("types"):
        notices = notices.filter(
            notice_type__in=[str(t) for t in filter_input["types"]]
        )
    return create_connection_slice(
        notices, info, kwargs, ServiceNoticeCountableConnection
    )


def resolve_user_notice_preferences(root: User, info):
    _access(info, owner_id=root.pk, permission=AccountPermissions.MANAGE_USERS)
    preference = (
        NoticePreference.objects.using(get_database_connection_name(info.context))
        .filter(email=root.email.lower())
        .first()
    )
    return ServiceNoticePreferences(
        is_opted_out_of_non_essential=bool(
            preference and preference.is_opted_out_of_non_essential
        )
    )


def resolve_order_delivery_promise(root, info):
    order = root.node
    _access(info, owner_id=order.user_id, permission=OrderPermissions.MANAGE_ORDERS)
    return DeliveryPromiseByOrderIdLoader(info.context).load(order.pk)
