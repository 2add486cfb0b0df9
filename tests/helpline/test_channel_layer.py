"""The embedded channel layer sweeps expired messages about once a second, not on every call."""

import asyncio

from config.channel_layers import SweepingInMemoryChannelLayer


async def test_it_still_drops_expired_messages_and_their_channels_group_memberships():
    layer = SweepingInMemoryChannelLayer(expiry=0.05)
    layer.CLEAN_EVERY_SECONDS = 0.3
    await layer.group_add("chat", "specific.a")
    await layer.group_add("chat", "specific.b")
    await layer.send("specific.a", {"type": "stale"})
    await asyncio.sleep(0.1)
    # The first call sweeps: a's message expired, so a leaves its groups.
    await layer.group_send("chat", {"type": "fresh"})
    assert set(layer.groups["chat"]) == {"specific.b"}
    assert await layer.receive("specific.b") == {"type": "fresh"}

    # Within the interval nothing is swept, however many calls come.
    await layer.send("specific.b", {"type": "stale"})
    await asyncio.sleep(0.1)
    await layer.group_send("other", {"type": "x"})
    assert set(layer.groups["chat"]) == {"specific.b"}

    await asyncio.sleep(0.3)
    await layer.group_send("other", {"type": "x"})
    assert layer.groups.get("chat", {}) == {}
