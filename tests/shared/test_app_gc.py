"""The collector set-up of an API process: a bulk operation's freeze must not undo the start-up freeze."""

from __future__ import annotations

import gc

from shared.app import freeze_startup_heap, heap_frozen


def test_the_startup_freeze_outlives_bulk_operations() -> None:
    freeze_startup_heap()
    at_startup = gc.get_freeze_count()
    assert at_startup > 0
    with heap_frozen():
        with heap_frozen():  # two imports at once: the inner end thaws nothing
            assert gc.get_freeze_count() >= at_startup
        assert gc.get_freeze_count() >= at_startup
    # The last one ended: the heap went back to the collector once, and what lives on is frozen again.
    assert gc.get_freeze_count() > 0
