"""The inbound address of a channel: where the store's bridges post customers'
messages, ``POST /plugins/channel/<channel slug>/<plugin id>/inbound/``.

Every answer is JSON. ``202`` takes the message: it is stored when the answer is
sent (``posts.take``, one insert) and a worker files it into its conversation
moments later (``posts.file_post``); ``duplicate`` says whether its message id was
taken before (the same message twice is filed once). A refused post
gets its status and ``error``: ``403`` inbound messages are off, ``413`` too large,
``400`` no timestamp, ``401`` outside the five-minute window or a bad signature,
``422`` a field that is wrong (``fields``: what each allows), ``405`` not a POST.
Nothing in an answer says whether the sender is a customer of the store.
"""

import logging

from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from .. import config, fetch, tasks
from ..domain.conversations import (
    MAX_BODY_BYTES,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    check_post,
    read_inbound,
)
from . import posts

logger = logging.getLogger(__name__)

PATH = "inbound"


def receive(request: HttpRequest, *, channel, configuration) -> JsonResponse:
    if request.method != "POST":
        response = _refused(405, "Post the message (POST), as JSON.")
        response["Allow"] = "POST"
        return response
    try:
        # Parsed once per stored configuration, not per post.
        settings = fetch.settings_of(configuration)
    except config.SettingsError:
        logger.warning(
            "Inbound message refused: channel %s has invalid settings.", channel.slug
        )
        return _refused(
            503, "The channel's settings are invalid; the store must fix them first."
        )
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or int(declared) > MAX_BODY_BYTES:
        # Not read: a body too large is refused before it is taken in.
        return _refused(
            413, f"The body is over {MAX_BODY_BYTES:,} bytes, or its length is unsaid."
        )
    body = request.body
    refusal = check_post(
        secret=settings.conversations.inbound_secret,
        timestamp=request.headers.get(TIMESTAMP_HEADER),
        signature=request.headers.get(SIGNATURE_HEADER),
        body=body,
        now=timezone.now(),
    )
    if refusal is not None:
        return _refused(refusal.status, refusal.reason)
    message = read_inbound(body)
    if isinstance(message, dict):
        return JsonResponse(
            {"error": "The message has wrong fields.", "fields": message}, status=422
        )
    post_id = posts.take(channel.pk, message)
    if post_id is not None:
        tasks.schedule_filing(post_id)
    return JsonResponse(
        {
            "accepted": True,
            "duplicate": post_id is None,
            "messageId": message.message_id,
        },
        status=202,
    )


def _refused(status: int, reason: str) -> JsonResponse:
    return JsonResponse({"error": reason}, status=status)
