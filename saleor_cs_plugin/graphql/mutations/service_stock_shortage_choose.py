"""``serviceStockShortageChoose``: a customer answers a stock-shortage notice through
the signed link in it, without signing in."""

import graphene
from django.core.exceptions import ValidationError
from django.utils import timezone
from saleor.graphql.core.mutations import BaseMutation

from ... import shortages
from ...error_codes import StockShortageErrorCode
from ...tasks import schedule_delivery
from ..enums import ServiceStockShortageChoiceEnum
from ..types import ServiceStockShortageChoice, ServiceStockShortageError

# The mutation's argument names, for errors the rules name in Python style.
FIELD_NAMES = {"token": "token", "choice": "choice", "alternative": "alternative"}


class ServiceStockShortageChoose(BaseMutation):
    result = graphene.Field(
        ServiceStockShortageChoice, description="The answer, as recorded."
    )

    class Arguments:
        token = graphene.String(
            required=True,
            description=(
                "The token of the link in the stock-shortage notice (its `token` "
                "query parameter). Each link answers once, until it expires."
            ),
        )
        choice = ServiceStockShortageChoiceEnum(
            required=True, description="What the customer wants done."
        )
        alternative = graphene.ID(
            description=(
                "For SWITCH: ID of one of the product variants the notice offered."
            )
        )

    class Meta:
        description = (
            "Records a customer's answer to a stock-shortage notice: wait for the "
            "item, switch to an offered alternative, or cancel the item. Needs no "
            "sign-in: the signed, expiring, single-use token in the notice's link is "
            "the permission. The answer is noted in the order's timeline and the "
            "service history, and staff are alerted; the order is not changed."
        )
        error_type_class = ServiceStockShortageError

    @classmethod
    def perform_mutation(cls, _root, info, /, *, token, choice, alternative=None):
        alternative_id = None
        if alternative:
            try:
                type_name, alternative_id = graphene.Node.from_global_id(alternative)
            except (ValueError, TypeError, UnicodeDecodeError):
                type_name = None
            if type_name != "ProductVariant":
                raise ValidationError(
                    {
                        "alternative": ValidationError(
                            f"'{alternative}' is not the ID of a product variant.",
                            code=StockShortageErrorCode.INVALID.value,
                        )
                    }
                )
        choice_value = getattr(choice, "value", choice)
        try:
            outcome = shortages.record_choice(
                token,
                choice=choice_value,
                alternative_id=alternative_id,
                now=timezone.now(),
            )
        except shortages.ChoiceRejected as rejected:
            raise ValidationError(
                {
                    FIELD_NAMES[problem.field]: ValidationError(
                        problem.message,
                        code=StockShortageErrorCode[problem.code].value,
                    )
                    for problem in rejected.problems
                }
            ) from rejected
        schedule_delivery(outcome.notice_ids)
        shortage = outcome.shortage
        return ServiceStockShortageChoose(
            result=ServiceStockShortageChoice(
                choice=shortage.choice,
                item=outcome.item_name,
                alternative=outcome.alternative_name or None,
                order_number=str(shortage.order.number),
                chosen_at=shortage.chosen_at,
            )
        )
