"""Worker processes: results in shard order, and a broken pool gives way to the same work here."""

from __future__ import annotations

import os
from concurrent.futures.process import BrokenProcessPool

from zxforensics.runtime import pool


def tagged(shard: list[int]) -> tuple[list[int], int]:
    return [n * n for n in shard], os.getpid()


def test_results_in_shard_order_from_other_processes():
    done = []
    results = pool.map_shards(tagged, [[1, 2], [3], [4, 5, 6]], workers=2, done=done.append)
    assert [squares for squares, _pid in results] == [[1, 4], [9], [16, 25, 36]]
    assert all(pid != os.getpid() for _squares, pid in results)
    assert sorted(map(len, done)) == [1, 2, 3]


def test_a_broken_pool_falls_back_to_this_process(monkeypatch):
    class BrokenPool:
        def __init__(self, *_args, **_kwargs):
            raise BrokenProcessPool("a worker could not start")

    monkeypatch.setattr(pool, "ProcessPoolExecutor", BrokenPool)
    results = pool.map_shards(tagged, [[1], [2]], workers=2)
    assert results == [([1], os.getpid()), ([4], os.getpid())]


def test_fork_where_the_os_has_it():
    assert pool.pool_context().get_start_method() in ("fork", "spawn")
    assert pool.pool_context().get_start_method() == "fork" or os.name != "posix"
