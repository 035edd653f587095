"""``serviceNoticePreferencesUpdate``: a signed-in customer chooses which notices
they receive."""

import graphene
from saleor.graphql.core.mutations import BaseMutation
from saleor.permission.auth_filters import AuthorizationFilters

from ...models import NoticePreference
from ..types import ServiceHistoryError, ServiceNoticePreferences


class ServiceNoticePreferencesUpdate(BaseMutation):
    preferences = graphene.Field(
        ServiceNoticePreferences, description="The customer's choices, as saved."
    )

    class Arguments:
        is_opted_out_of_non_essential = graphene.Boolean(
            required=True,
            description=(
                "True: only essential notices (about orders the customer is waiting "
                "for); false: all notices."
            ),
        )

    class Meta:
        description = "Sets the signed-in customer's choices about proactive notices."
        permissions = (AuthorizationFilters.AUTHENTICATED_USER,)
        error_type_class = ServiceHistoryError

    @classmethod
    def perform_mutation(cls, _root, info, /, *, is_opted_out_of_non_essential):
        user = info.context.user
        preference, _ = NoticePreference.objects.update_or_create(
            email=user.email.lower(),
            defaults={
                "user": user,
                "is_opted_out_of_non_essential": is_opted_out_of_non_essential,
            },
        )
        return ServiceNoticePreferencesUpdate(
            preferences=ServiceNoticePreferences(
                is_opted_out_of_non_essential=preference.is_opted_out_of_non_essential
            )
        )
