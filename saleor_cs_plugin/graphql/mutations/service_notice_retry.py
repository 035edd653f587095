"""``serviceNoticeRetry``: staff send a failed notice again."""

import graphene
from django.core.exceptions import ValidationError
from django.utils import timezone
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
        notice = cls.get_node_or_error(info, id, only_type=ServiceNotice)
        channel_ids = accessible_channel_ids(info)
        if channel_ids is not None and notice.channel_id not in channel_ids:
            raise PermissionDenied(
                message="You do not have access to the channel of this notice."
            )
        if not outbox.retry_failed(notice.pk, timezone.now()):
            raise ValidationError(
                {
                    "id": ValidationError(
                        f"Only failed notices can be retried; this one is "
                        f"{NoticeStatus(notice.status).name}.",
                        code=ServiceHistoryErrorCode.INVALID.value,
                    )
                }
            )
        schedule_delivery([notice.pk])
        notice.refresh_from_db()
        return ServiceNoticeRetry(notice=notice)
