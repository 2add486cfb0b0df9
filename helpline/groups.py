"""Channel-layer group names, from one place.

The channel layer only signals: a frame lost here is recovered by the client
resyncing from the database. Group names allow only ASCII letters, digits,
hyphens, underscores and periods.
"""


def hotline_queue_group(hotline_id: int) -> str:
    """Consoles watching one hotline's queue."""
    return f"queue.hotline.{hotline_id}"


def central_overflow_group() -> str:
    """Central consoles, which also see provincial conversations that overflow."""
    return "queue.central"


def conversation_group(conversation_id) -> str:
    """Everyone in one conversation: the young person's socket and the operator's console."""
    return f"conversation.{conversation_id}"


def staff_group(user_id: int) -> str:
    """Every open console of one member of staff.

    The console forwards an event {"type": "console.push", "frame": {...}} to its
    browser as the frame itself, so other apps can push (an agency's answer on a
    case, an SMS delivery failure) without knowing the console's internals.
    """
    return f"staff.{user_id}"


def agency_group(agency_id: int) -> str:
    """Every open liaison queue of one agency."""
    return f"agency.{agency_id}"


def hotline_staff_group(hotline_id: int) -> str:
    """Every open console of one hotline's staff, for news that concerns the whole hotline.

    Like staff_group, it carries {"type": "console.push", "frame": {...}} events;
    the callback requests' open count is the first (docs/protocol.md).
    """
    return f"hotline.{hotline_id}.staff"


def board_group() -> str:
    """Every open supervisors' board (/board/), told that a conversation changed state.

    The queue groups already hear every change of a queue; accepting, ending
    and transferring also move a conversation the queue no longer holds, which
    only this group hears. Events: {"type": "board.changed", "change": <id>,
    "hotline_id": <id or None for every hotline>}. Each board reads its scope
    again (reports/sockets.py).
    """
    return "board"
