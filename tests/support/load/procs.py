"""Start worker processes quickly on a small machine.

A forkserver with the phoner modules preloaded forks each worker from a warm interpreter,
so 16 workers start in well under a second instead of importing everything 16 times.
"""

from __future__ import annotations

import multiprocessing as mp
from multiprocessing.context import BaseContext

_PRELOAD = ["tests.support.load.workers"]


def context() -> BaseContext:
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)
    return ctx
