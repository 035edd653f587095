"""Rules of staff alerts: what an alert is about, who may read it, and which delivery
failures only the merchant can fix.

An alert is raised once per cause: the same cause seen again while the alert is open
counts as another occurrence of it, not as a new alert.
"""

from enum import StrEnum

TITLE_MAX_LENGTH = 255


class AlertKind(StrEnum):
    """What an alert is about. New kinds are added here, never renamed."""

    # A promoted code stopped working, or is about to.
    PROMOTED_CODE = "promoted_code"
    # A customer answered a stock-shortage notice; staff act on the order.
    SHORTAGE_CHOICE = "shortage_choice"
    # Notices of a channel fail for a reason only the merchant can fix.
    NOTICE_DELIVERY = "notice_delivery"


# The Saleor permission (by its codename's enum name) that lets staff or an app read
# and close an alert of each kind: codes are marketing's, orders the shop floor's,
# how notices are sent is the plugin's configuration.
PERMISSION_BY_KIND = {
    AlertKind.PROMOTED_CODE: "MANAGE_DISCOUNTS",
    AlertKind.SHORTAGE_CHOICE: "MANAGE_ORDERS",
    AlertKind.NOTICE_DELIVERY: "MANAGE_PLUGINS",
}


def kinds_allowed(permission_names: frozenset[str]) -> frozenset[AlertKind]:
    """The kinds of alerts a requestor holding ``permission_names`` may see."""
    return frozenset(
        kind for kind, permission in PERMISSION_BY_KIND.items()
        if permission in permission_names
    )
