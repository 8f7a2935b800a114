"""Shards of work over one tree, in worker processes when the work is large enough to pay for them.

Workers come from `zxforensics.pool` (forked, as the scan's; a broken pool falls back to this
process); each worker opens the tree itself through `Evidence`, so nothing but paths and small
result tuples crosses a process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from functools import partial

from .pool import map_shards
from .progress import progress_bar

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
    with progress_bar(len(tasks), desc, unit, show) as bar:
        work = partial(func, root, **kwargs)
        if workers > 1 and len(tasks) >= parallel_min:
            parts = map_shards(work, shards(tasks, workers), workers, done=lambda shard: bar.update(len(shard)))
        else:
            parts = [work(tasks)]
            bar.update(len(tasks))
        return [result for part in parts for result in part]
