"""The connectors' answers to the chat backend's signals.

An operator's reply leaves by its platform: the signal is sent after the
message committed with its seq, so the reply is recorded and sent only once it
exists. A console reading a history learns how each reply went. A held
message deleted before it joined a conversation (retention) takes its images,
kept encrypted on disk, with it.
"""

import logging

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from connectors.crypto import ConnectorKeyMissing, secret_decrypt
from connectors.delivery import reply_deliveries
from connectors.images import images_discard, images_held
from connectors.models import DeliveryStatus, Platform, PlatformMessage
from connectors.outbound import dispatch, operator_reply_prepare
from helpline.signals import history_delivery_requested, operator_message_posted

logger = logging.getLogger(__name__)


@receiver(operator_message_posted, dispatch_uid="connectors.send_reply")
def send_operator_reply(sender, message, **kwargs) -> None:
    if message.conversation.channel not in Platform.values:
        return
    try:
        reply = operator_reply_prepare(message=message)
    except Exception as error:
        # The message is stored either way; the console must not lose its ack over a platform.
        logger.error("connector reply prepare failed: %s", type(error).__name__)
        return
    if reply is not None and reply.status == DeliveryStatus.PENDING:
        dispatch(reply.pk)


@receiver(history_delivery_requested, dispatch_uid="connectors.reply_deliveries")
def reply_deliveries_in_history(sender, conversation, messages, user, **kwargs) -> dict:
    return reply_deliveries(conversation=conversation, messages=messages, user=user)


@receiver(post_delete, sender=PlatformMessage, dispatch_uid="connectors.held_images_erase")
def held_images_erase(sender, instance, **kwargs) -> None:
    if not instance.held_images_encrypted:
        return
    try:
        items = images_held(secret_decrypt(instance.held_images_encrypted))
    except ConnectorKeyMissing:
        # Its key is gone: the files can't be named any more. They stay encrypted under the
        # evidence key, under ids no row holds.
        logger.error("held images of platform message %s can't be erased", instance.pk)
        return
    transaction.on_commit(lambda: images_discard(items))
