"""Holding the cyclic garbage collector back while a review builds objects that hold no cycles."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_held() -> Iterator[None]:
    """Hold the cyclic garbage collector back for the block, and leave what it built in the oldest generation.

    The rule engine and the report build hundreds of thousands of long-lived objects (half a million results for
    a 50,000-row inventory) and no cycles: reference counting frees what they drop. Collected as they pile up,
    or in one young collection when the collector comes back, they would be walked for nothing to free (0.2 s of
    that review). What existed before the block goes to the oldest generation first (`gc.freeze`), and at its end
    everything built since joins it (`gc.freeze`, then `gc.unfreeze`), where only a full collection looks at
    it. Cyclic garbage left over from before the block would therefore stay until the next full collection:
    `review` collects what evaluating templates left (the 5,000-resource benchmark template leaves about 25,000
    objects in cycles) before it enters the block, and nothing after an inventory, which leaves none (collecting
    would cost 0.06 s of the 50,000-row review for nothing). A caller that keeps objects frozen
    (`gc.get_freeze_count`) keeps them so: the collector is then only paused. A collector already switched off (by
    the caller, or an enclosing block) is left as it is."""
    if not gc.isenabled():
        yield
        return
    ageing = gc.get_freeze_count() == 0
    if ageing:
        gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        if ageing:
            gc.freeze()
            gc.unfreeze()
        gc.enable()


__all__ = ["collector_held"]
