"""Start-up: the server tunes the garbage collector once the app is built."""

from __future__ import annotations

import gc

from csoapi.main import GC_THRESHOLDS, create_app


async def test_start_up_freezes_the_heap_and_spaces_collections(settings, database):
    app = create_app(settings, engine=database.engine)
    before = gc.get_threshold()
    gc.unfreeze()
    try:
        async with app.router.lifespan_context(app):
            assert gc.get_freeze_count() > 0
            assert gc.get_threshold() == GC_THRESHOLDS
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
