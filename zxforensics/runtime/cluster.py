"""Shards of work on a dask.distributed cluster: one way for the whole kit (the index build, blob
verification).

The caller's `client` is the only way in: nothing here imports dask or distributed until a client is
used, so the core install stays light. Each worker opens the backup path itself (mounted read-only at
the same path on every machine), so only paths and small results cross the network. A shard that
raises, or a worker that dies (Dask retries its tasks elsewhere, then gives up), becomes a ZxError
naming the shard: never a partial result.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TypeVar

from ..errors import ZxError

S = TypeVar("S")
R = TypeVar("R")


def connect(address: str):
    """A dask.distributed client of the scheduler at `address` (the optional extra `zxforensics[dask]`)."""
    try:
        from distributed import Client
    except ImportError:
        raise ZxError("`scheduler` needs Dask: pip install 'zxforensics[dask]'") from None
    try:
        return Client(address, timeout="20s")
    except (OSError, TimeoutError) as exc:
        raise ZxError(f"cannot reach the Dask scheduler at {address}: {exc}") from None


def cluster_workers(client) -> int:
    """The cluster's worker threads now (at least 1): how many shards run at once."""
    return max(1, sum(client.nthreads().values()))


def require_folder(client, folder: str, fix: str = "mount it read-only at the same path on every worker") -> None:
    """Refuse a cluster whose workers do not see `folder`: a worker without the backup path would
    report every file missing, a wrong answer rather than an error. One `stat` per worker (no atime)."""
    seen = client.run(os.path.isdir, folder)
    blind = sorted(worker for worker, ok in seen.items() if not ok)
    if not seen:
        raise ZxError("the Dask cluster has no workers")
    if blind:
        raise ZxError(f"{len(blind)} Dask worker(s) do not see {folder} ({', '.join(blind[:3])}): {fix}")


def map_on_client(
    client, func: Callable[[S], R], shards: Sequence[S], done: Callable[[S], object] | None = None
) -> list[R]:
    """`func(shard)` for every shard on the cluster's workers; results in shard order.

    `done(shard)` is called as each shard finishes (a progress bar's update). The first shard that
    fails cancels the others and raises a ZxError naming it and its cause."""
    from distributed import as_completed

    if not shards:
        return []
    futures = client.map(func, list(shards), pure=False)
    where = {future.key: index for index, future in enumerate(futures)}
    results: list = [None] * len(shards)
    try:
        for future in as_completed(futures):
            index = where[future.key]
            try:
                results[index] = future.result()
            except Exception as exc:
                raise ZxError(f"shard {index + 1} of {len(shards)} failed on the Dask cluster: "
                              f"{type(exc).__name__}: {exc}") from exc  # fmt: skip
            if done is not None:
                done(shards[index])
    finally:
        client.cancel(futures)
    return results
