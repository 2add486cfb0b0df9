"""Telephony's answers to the chat backend's signals.

Both do network work (Twilio's REST API), so both wait for the commit of
whatever sent them: a rolled-back accept must not connect a call, and a
message must exist with its seq before it is sent.
"""

import logging

from django.db import transaction
from django.dispatch import receiver

from helpline.models import Channel
from helpline.signals import conversation_accepted, operator_message_posted
from telephony.calls import call_connect_operator
from telephony.sms import sms_outbound_prepare, sms_send

logger = logging.getLogger(__name__)


@receiver(conversation_accepted, dispatch_uid="telephony.connect_call")
def connect_accepted_call(sender, conversation, operator, **kwargs) -> None:
    if conversation.channel != Channel.VOICE:
        return
    conversation_id = conversation.pk

    def connect() -> None:
        try:
            call_connect_operator(conversation_id=conversation_id, operator=operator)
        except Exception:
            # The accept stands; the operator can reconnect from the console.
            logger.exception("call connect crashed")

    transaction.on_commit(connect)


@receiver(operator_message_posted, dispatch_uid="telephony.send_sms")
def send_operator_sms(sender, message, **kwargs) -> None:
    if message.conversation.channel != Channel.SMS:
        return
    try:
        sms = sms_outbound_prepare(message=message)
    except Exception:
        # The message is stored either way; the console must not lose its ack
        # over telephony. It can be sent again once the cause is fixed.
        logger.exception("sms prepare failed")
        return
    if sms is None:
        return
    sms_id = sms.pk
    transaction.on_commit(lambda: sms_send(sms_id=sms_id))
