"""Worker processes, one way for the whole kit (the scan, the audit, the copy comparison).

Workers are forked where the OS has it: a worker starts in milliseconds (spawn measured +0.5 s,
which ate the gain of a second core) and a caller's script without a `__main__` guard is never
re-imported. A worker only reads files through `Evidence`, parses and hashes, and leaves with
os._exit, so the parent's threads and sockets are never touched. A pool that breaks (a worker
could not start, or died) is replaced by the same work in this process.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

S = TypeVar("S")
R = TypeVar("R")


def pool_context():
    """`fork` where the OS has it, else `spawn`."""
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method)


def map_shards(
    func: Callable[[S], R], shards: Sequence[S], workers: int, done: Callable[[S], object] | None = None
) -> list[R]:
    """`func(shard)` for every shard in `workers` processes; results in shard order.

    `done(shard)` is called as each shard finishes (a progress bar's update)."""
    try:
        with ProcessPoolExecutor(workers, mp_context=pool_context()) as pool:
            futures = {pool.submit(func, shard): index for index, shard in enumerate(shards)}
            results: list = [None] * len(shards)
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                if done is not None:
                    done(shards[futures[future]])
            return results
    except BrokenProcessPool:
        results = []
        for shard in shards:
            results.append(func(shard))
            if done is not None:
                done(shard)
        return results
