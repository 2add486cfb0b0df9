"""The connectors' answers to the chat backend's signals.

An operator's reply leaves by its platform: the signal is sent after the
message committed with its seq, so the reply is recorded and sent only once it
exists. A console reading a history learns how each reply went.
"""

import logging

from django.dispatch import receiver

from connectors.delivery import reply_deliveries
from connectors.models import DeliveryStatus, Platform
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
