"""Shards of work over one tree, in worker processes when the work is large enough to pay for them.

The pool starts its workers as the store's scan does (`store._scan_context`: fork where the OS has
it, so a caller's script without a `__main__` guard is never re-imported); each worker opens the tree
itself through `Evidence`, so nothing but paths and small result tuples crosses a process. A pool
that breaks (a worker could not start or died) is replaced by the same work in this process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

from tqdm.auto import tqdm

from ..store import _scan_context

MAX_SHARD = 2000  # tasks per shard: bounds the pickled payload and keeps the bar moving
SHARDS_PER_WORKER = 8  # several shards per worker even out shards holding a few large files


def default_workers(workers: int | None) -> int:
    return max(1, workers if workers is not None else (os.cpu_count() or 1))


def shards(tasks: Sequence, workers: int) -> list[Sequence]:
    """Contiguous slices, about SHARDS_PER_WORKER per worker and at most MAX_SHARD tasks each."""
    count = max(1, workers * SHARDS_PER_WORKER, -(-len(tasks) // MAX_SHARD))
    size = max(1, -(-len(tasks) // count))
    return [tasks[i : i + size] for i in range(0, len(tasks), size)]


def run_sharded(
    func: Callable[..., list],
    root: str,
    tasks: Sequence,
    *,
    workers: int | None = None,
    parallel_min: int = 2000,
    show: bool = True,
    desc: str = "",
    unit: str = "it",
    **kwargs,
) -> list:
    """`func(root, shard, **kwargs)` over every shard of `tasks`, results concatenated (unordered).

    Below `parallel_min` tasks, or with one worker, it runs here: a pool costs more than it saves.
    """
    if not tasks:
        return []
    workers = default_workers(workers)
    disable = True if (os.environ.get("TQDM_DISABLE") or not show) else None
    with tqdm(total=len(tasks), desc=desc, unit=unit, disable=disable, leave=False) as bar:
        if workers > 1 and len(tasks) >= parallel_min:
            try:
                return _in_pool(func, root, tasks, workers, bar, kwargs)
            except BrokenProcessPool:
                bar.reset()
        results: list = []
        for shard in shards(tasks, 1):
            results.extend(func(root, shard, **kwargs))
            bar.update(len(shard))
        return results


def _in_pool(func: Callable[..., list], root: str, tasks: Sequence, workers: int, bar, kwargs: dict) -> list:
    results: list = []
    with ProcessPoolExecutor(workers, mp_context=_scan_context()) as pool:
        futures = {pool.submit(func, root, shard, **kwargs): len(shard) for shard in shards(tasks, workers)}
        for future in as_completed(futures):
            results.extend(future.result())
            bar.update(futures[future])
    return results
