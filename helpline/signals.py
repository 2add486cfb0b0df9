"""Signals other apps listen to.

The change signals are sent only after the change committed;
history_delivery_requested is a question asked during a read.
"""

from django.dispatch import Signal

# sender=Conversation, conversation=..., operator=...
# Telephony listens to connect a queued call to the operator who accepted it.
conversation_accepted = Signal()

# sender=Message, message=...
# Telephony listens to send an operator's answer on an SMS conversation.
operator_message_posted = Signal()

# sender=Conversation, conversation=..., reason=...
# Sent when a conversation ends or is abandoned, from whichever side.
conversation_closed = Signal()

# sender=Conversation, conversation=..., from_hotline=..., user=...
conversation_transferred = Signal()

# sender=Conversation, conversation=..., messages=[Message, ...], user=...
# Sent while a console reads a conversation's history (helpline.selectors.
# conversation_history_for_staff), for the operators' messages in it. A receiver
# answers {seq: delivery} for the replies it carried out of the helpline, and each
# of those messages goes out with its "delivery". Connectors answer for Zalo and
# Messenger, so a reloaded console shows every reply's delivery mark again.
history_delivery_requested = Signal()
