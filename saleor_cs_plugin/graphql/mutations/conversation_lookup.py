"""What the staff's conversation mutations share: the conversation an ID names,
within the requestor's reach, or the mutation error of its ``id``."""

from ...conversations.reply import ConversationError
from ...models import Conversation
from ..conversation_resolvers import conversation_pk, conversations_in_reach
from ..conversation_types import ConversationErrorCode, validation_error


def conversation_of(info, global_id: str) -> Conversation:
    pk = conversation_pk(global_id)
    if pk is None:
        raise validation_error(
            "id",
            f"'{global_id}' is not the ID of a conversation.",
            ConversationErrorCode.INVALID,
        )
    # Outside the requestor's channels, a conversation is not found: no leak.
    conversation = (
        conversations_in_reach(info).select_related("channel").filter(pk=pk).first()
    )
    if conversation is None:
        raise validation_error(
            "id",
            f"No conversation you may see has the ID '{global_id}'.",
            ConversationErrorCode.NOT_FOUND,
        )
    return conversation


def as_mutation_error(error: ConversationError):
    return validation_error(
        error.field, error.message, ConversationErrorCode(error.code)
    )
