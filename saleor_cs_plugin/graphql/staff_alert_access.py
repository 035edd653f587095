"""Who may read and close which staff alerts: the alert's kind names the permission
(domain.alerts), and staff of permission groups restricted to some channels reach the
alerts of those channels only, as with Saleor's orders."""

from saleor.account.models import User
from saleor.core.exceptions import PermissionDenied
from saleor.graphql.account.dataloaders import RestrictedChannelAccessByUserIdLoader
from saleor.graphql.account.utils import get_user_accessible_channels
from saleor.graphql.app.dataloaders import get_app_promise
from saleor.graphql.utils import get_user_or_app_from_context
from saleor.permission.enums import get_permissions_enum_dict

from ..domain.alerts import PERMISSION_BY_KIND, kinds_allowed
from ..staff_alerts import Reach


def inbox_permissions() -> list:
    """Saleor's permissions that open the inbox, each to its kinds of alerts."""
    by_name = get_permissions_enum_dict()
    return [by_name[name] for name in dict.fromkeys(PERMISSION_BY_KIND.values())]


def reach_of(info) -> Reach:
    """The alerts the requestor may read and close."""
    # The requestor may be a lazy object around None: test its truth, not identity.
    requestor = get_user_or_app_from_context(info.context)
    if not requestor:
        return Reach(
            kinds=frozenset(), channel_ids=frozenset(), includes_no_channel=False
        )
    kinds = kinds_allowed(
        frozenset(
            permission.name
            for permission in inbox_permissions()
            if requestor.has_perm(permission)
        )
    )
    # Saleor does not restrict apps to channels.
    if get_app_promise(info.context).get() or not isinstance(requestor, User):
        return Reach(kinds=kinds, channel_ids=None, includes_no_channel=True)
    is_restricted = (
        RestrictedChannelAccessByUserIdLoader(info.context).load(requestor.pk).get()
    )
    if not is_restricted:
        return Reach(kinds=kinds, channel_ids=None, includes_no_channel=True)
    return Reach(
        kinds=kinds,
        channel_ids=frozenset(
            channel.pk for channel in get_user_accessible_channels(info, requestor)
        ),
        includes_no_channel=False,
    )


def require_inbox_reach(info) -> Reach:
    """The requestor's reach; Saleor's permission error when it holds none of the
    inbox's permissions."""
    reach = reach_of(info)
    if not reach.kinds:
        raise PermissionDenied(permissions=inbox_permissions())
    return reach
