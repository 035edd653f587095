"""``serviceStaffAlertResolve``: staff or an app mark an alert of the inbox done."""

import uuid

import graphene
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from saleor.account.models import User
from saleor.app.models import App
from saleor.graphql.core.mutations import BaseMutation
from saleor.graphql.utils import get_user_or_app_from_context

from ... import staff_alerts
from ...models import StaffAlert
from ..staff_alert_access import inbox_permissions, reach_of
from ..staff_alert_types import (
    ServiceStaffAlert,
    ServiceStaffAlertError,
    StaffAlertErrorCode,
)


def _id_error(message: str, code: StaffAlertErrorCode) -> ValidationError:
    return ValidationError({"id": ValidationError(message, code=code.value)})


def _alert_pk(global_id: str):
    try:
        type_name, pk = graphene.Node.from_global_id(global_id)
        return type_name == "ServiceStaffAlert" and uuid.UUID(str(pk))
    except (ValueError, TypeError, UnicodeDecodeError, AttributeError):
        return None


class ServiceStaffAlertResolve(BaseMutation):
    alert = graphene.Field(ServiceStaffAlert, description="The alert, marked done.")

    class Arguments:
        id = graphene.ID(required=True, description="ID of an open staff alert.")

    class Meta:
        description = (
            "Marks a staff alert done, recording who (staff user or app) and when. "
            "Its cause seen again later opens a new alert. Requires the permission "
            "of the alert's kind (MANAGE_DISCOUNTS for promoted codes, "
            "MANAGE_ORDERS for stock-shortage choices, MANAGE_PLUGINS for failing "
            "notices) and, for staff restricted to some channels, access to the "
            "alert's channel."
        )
        # Any one of them opens the inbox; the alert's kind decides the rest.
        permissions = tuple(inbox_permissions())
        error_type_class = ServiceStaffAlertError

    @classmethod
    def perform_mutation(cls, _root, info, /, *, id):
        pk = _alert_pk(id)
        if not pk:
            raise _id_error(
                f"'{id}' is not the ID of a staff alert.", StaffAlertErrorCode.INVALID
            )
        requestor = get_user_or_app_from_context(info.context)
        now = timezone.now()
        with transaction.atomic():
            # Outside the requestor's reach, an alert is not found: no leak.
            alert = staff_alerts.within(reach_of(info)).filter(pk=pk).first()
            if alert is None:
                raise _id_error(
                    f"No staff alert you may see has the ID '{id}'.",
                    StaffAlertErrorCode.NOT_FOUND,
                )
            if not staff_alerts.resolve(
                alert.pk,
                now=now,
                user=requestor if isinstance(requestor, User) else None,
                app=requestor if isinstance(requestor, App) else None,
            ):
                alert.refresh_from_db(fields=["resolved_at"])
                raise _id_error(
                    "The alert was already marked done at "
                    f"{alert.resolved_at.isoformat()}.",
                    StaffAlertErrorCode.ALREADY_RESOLVED,
                )
        return ServiceStaffAlertResolve(alert=StaffAlert.objects.get(pk=alert.pk))
