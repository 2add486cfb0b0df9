"""Signals other apps listen to, so that cases need not import them.

case_transitioned is sent inside the transaction of the transition; a receiver
that touches the database shares that transaction (escalation revokes agency
access when a case closes).
"""

from django.dispatch import Signal

case_transitioned = Signal()
