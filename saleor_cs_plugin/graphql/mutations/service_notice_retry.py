"""``serviceNoticeRetry``: staff send a failed notice again."""

import graphene
from django.core.exceptions import ValidationError
from saleor.core.exceptions import PermissionDenied
from saleor.graphql.core.mutations import BaseMutation
from saleor.permission.enums import OrderPermissions

from ... import outbox
from ...domain.notices import NoticeStatus
from ...error_codes import ServiceHistoryErrorCode
from ...tasks import schedule_delivery
from ..resolvers import accessible_channel_ids
from ..types import ServiceHistoryError, ServiceNotice


class ServiceNoticeRetry(BaseMutation):
    notice = graphene.Field(ServiceNotice, description="The notice, pending again.")

    class Arguments:
        id = graphene.ID(required=True, description="ID of a failed notice.")

    class Meta:
        description = (
            "Gives a failed notice a fresh set of delivery attempts, starting now."
        )
        permissions = (OrderPermissions.MANAGE_ORDERS,)
        error_type_class = ServiceHistoryError

    @classmethod
    def perform_mutation(cls, _root, info, /, *, id):
        if not id:
            # Saleor's lookup answers an empty ID with nothing rather than an error.
            raise ValidationError(
                {
                    "id": ValidationError(
                        "The ID of a failed notice is required.",
                        code=ServiceHistoryErrorCode.INVALID.value,
                    )
                }
            )
        notice = cls.get_node_or_error(info, id, only_type=ServiceNotice)
        channel_ids = accessible_channel_ids(info)
        if channel_ids is not None and notice.channel_id not in channel_ids:
            raise PermissionDenied(
                message="You do not have access to the channel of this notice."
            )
        # The database's clock decides when it is due.
        if not outbox.retry_failed(notice.pk):
            notice.refresh_from_db()
            if notice.status == NoticeStatus.FAILED and not notice.context:
                message = (
                    "This notice can no longer be sent again: what it said was "
                    "purged after the channel's retention period (or its customer "
                    "was deleted)."
                )
            else:
                message = (
                    "Only failed notices can be retried; this one is "
                    f"{NoticeStatus(notice.status).name}."
                )
            raise ValidationError(
                {
                    "id": ValidationError(
                        message, code=ServiceHistoryErrorCode.INVALID.value
                    )
                }
            )
        schedule_delivery([notice.pk])
        notice.refresh_from_db()
        return ServiceNoticeRetry(notice=notice)
