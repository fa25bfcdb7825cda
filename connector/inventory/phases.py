"""In what order a SKU's writes go, so the channels together never show more than the pool.

Customers on every channel buy at once, each up to what their channel shows. Where the channels' rules split
the pool (their targets add up to no more than it: shares adding up to 100 % or less), the channels together
show at most the pool as long as no write raises one channel while another still shows more than its target.
So a round sends the writes that lower a quantity first, and the writes that raise one only after: not at all
while a lowering was refused because a sale landed in between (the SKU is read again and redone), and no
further than the pool allows while a channel could not be lowered (it failed, or is set aside): its excess is
kept out of what the others show until it answers. Where the rules overlap (every channel shows the whole pool,
the default), raises go as planned: the overlap is the merchant's choice.
"""

from __future__ import annotations

from connector.inventory.fold import Write


def lowering(writes: list[Write]) -> list[Write]:
    return [w for w in writes if w.target < w.current]


def raising(writes: list[Write]) -> list[Write]:
    return [w for w in writes if w.target > w.current]


def capped_raises(
    pool: int, targets: dict[str, int], standing: dict[str, int], raises: list[Write]
) -> list[Write]:
    """The raises that keep what the channels show within the pool. `targets` holds every channel's target,
    `standing` what each channel shows once the lowering writes are done (as far as known); `raises` go in
    their order (source of truth first) until the room is used."""
    if sum(targets.values()) > pool:
        return raises
    room = pool - sum(standing.values())
    allowed = []
    for write in raises:
        floor = max(0, write.current)  # raising a negative quantity up to 0 lets nobody buy anything
        target = min(write.target, floor + max(0, room))
        if target > write.current:
            allowed.append(Write(write.channel, write.current, target))
            room -= target - floor if target > floor else 0
    return allowed
