"""Signals other apps listen to. Each is sent only after the change committed."""

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
