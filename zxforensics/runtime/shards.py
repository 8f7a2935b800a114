"""Shards of work in worker processes, when the work is large enough to pay for them: one way for the
whole kit (the scan of accounts, blob verification, copy comparison).

Workers come from `runtime.pool` (forked; a broken pool falls back to this process), or from a
dask.distributed cluster when a `client` is given (`runtime.cluster`). A shard is a contiguous slice of
the tasks, so results come back in task order; each worker opens the tree itself, so nothing but paths
and small results crosses a process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import TypeVar

from .cluster import cluster_workers, map_on_client, require_folder
from .memory import trim_heap
from .pool import map_shards
from .progress import progress_bar

R = TypeVar("R")
MAX_SHARD = 2000  # tasks per shard: bounds the pickled payload and keeps the bar moving
SHARDS_PER_WORKER = 8  # several shards per worker even out shards holding a few large tasks


def bounded_runs(keys: Sequence, sizes: dict, most: int) -> Iterator[list]:
    """Consecutive runs of `keys` whose `sizes` add up to at most `most` (a key larger than that is a run of
    its own): whole accounts in a batch of states, digest characters in a group of blob files."""
    run: list = []
    held = 0
    for key in keys:
        if run and held + sizes.get(key, 0) > most:
            yield run
            run, held = [], 0
        run.append(key)
        held += sizes.get(key, 0)
    if run:
        yield run


def default_workers(workers: int | None) -> int:
    return max(1, workers if workers is not None else (os.cpu_count() or 1))


def split(tasks: Sequence, workers: int, per_worker: int = SHARDS_PER_WORKER, max_shard: int = MAX_SHARD) -> list:
    """Contiguous slices, about `per_worker` per worker and at most `max_shard` tasks each."""
    count = max(1, workers * per_worker, -(-len(tasks) // max_shard))
    size = max(1, -(-len(tasks) // count))
    return [tasks[i : i + size] for i in range(0, len(tasks), size)]


def map_sharded(
    func: Callable[[Sequence], R],
    tasks: Sequence,
    *,
    workers: int | None = None,
    parallel_min: int = 2000,
    per_worker: int = SHARDS_PER_WORKER,
    show: bool = True,
    desc: str = "",
    unit: str = "it",
    client=None,
) -> list[R]:
    """`func(shard)` for every shard of `tasks`, one result per shard, in task order.

    Below `parallel_min` tasks, or with one worker, the whole list is one shard run here: a pool
    costs more than it saves. With a dask.distributed `client`, every shard runs on its cluster
    (whatever the size: the caller chose the cluster), `workers` being the cluster's threads."""
    if not tasks:
        return []
    if client is not None:
        shards = split(tasks, cluster_workers(client), per_worker)
        return run_shards(func, shards, client=client, show=show, desc=desc, unit=unit)
    workers = default_workers(workers)
    if workers == 1 or len(tasks) < parallel_min:
        return [func(tasks)]
    return run_shards(func, split(tasks, workers, per_worker), workers=workers, show=show, desc=desc, unit=unit)


def run_shards(func: Callable[[Sequence], R], shards: Sequence[Sequence], *, workers: int = 1, client=None,
               show: bool = True, desc: str = "", unit: str = "it") -> list[R]:  # fmt: skip
    """`func(shard)` for shards already cut (the index build's parts), results in shard order: on a
    dask.distributed `client`'s workers, in `workers` forked processes, or here with one worker. The
    progress bar counts the shards' tasks."""
    if not shards:
        return []
    if client is None and workers <= 1:
        return [func(shard) for shard in shards]
    with progress_bar(sum(len(shard) for shard in shards), desc, unit, show) as bar:
        if client is not None:
            return map_on_client(client, func, shards, done=lambda shard: bar.update(len(shard)))
        return map_shards(func, shards, workers, done=partial(_arrived, bar))


def _arrived(bar, shard: Sequence) -> None:
    """A shard's result is in: the bar moves, and the pickled message it came in goes back to the OS
    (freed into the heap, it kept ~50 MiB a million states above the results themselves)."""
    bar.update(len(shard))
    trim_heap()


def run_sharded(func: Callable[..., list], root: str, tasks: Sequence, **options) -> list:
    """`func(root, shard, **kwargs)` over the shards of `tasks`, results concatenated in task order.

    `options` are map_sharded's (`workers`, `parallel_min`, `show`, `desc`, `unit`, `client`); the rest go
    to `func`. On a cluster, every worker must see `root` at the same path (checked first)."""
    sharding = {k: options.pop(k) for k in ("workers", "parallel_min", "per_worker", "show", "desc", "unit",
                                            "client") if k in options}  # fmt: skip
    if sharding.get("client") is not None and tasks:
        require_folder(sharding["client"], root)
    parts = map_sharded(partial(func, root, **options), tasks, **sharding)
    return [result for part in parts for result in part]
