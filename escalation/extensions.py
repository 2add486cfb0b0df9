"""What apps built on escalation add to a disclosure, without escalation importing them.

harms (online items and evidence files) builds on escalation, so escalation
cannot import it. Instead harms registers, for each shared item it owns, a
function that returns what a disclosure of that item would hold now for a case:
a dict of the ids of its rows to a version ({"12": 1, "13": 3}), which the
disclosure records like the transcript's {conversation: seq}. An item whose
app registered nothing discloses nothing.
"""

from collections.abc import Callable

_disclosable: dict[str, Callable] = {}


def disclosable_register(item: str, values: Callable) -> None:
    """Let values(case=...) say what disclosing `item` of a case would hold now."""
    _disclosable[item] = values


def disclosable_values(item: str, *, case) -> dict:
    values = _disclosable.get(item)
    return dict(values(case=case)) if values is not None else {}
