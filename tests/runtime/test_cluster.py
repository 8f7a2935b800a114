"""Shards on a Dask cluster: results in shard order from the workers, and a shard that raises or a worker
that dies is a ZxError naming the shard, never a partial result."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from zxforensics.errors import ZxError
from zxforensics.runtime import cluster, shards


def test_results_in_shard_order_from_the_workers(dask_client):
    done = []
    results = cluster.map_on_client(dask_client, lambda shard: ([abs(n) for n in shard], os.getpid()),
                                    [[-1, 2], [3], [-4, 5, -6]], done=done.append)  # fmt: skip
    assert [squares for squares, _pid in results] == [[1, 2], [3], [4, 5, 6]]
    assert os.getpid() not in {pid for _squares, pid in results}
    assert sorted(map(len, done)) == [1, 2, 3]
    assert cluster.map_on_client(dask_client, len, []) == []


def test_map_sharded_on_a_client_splits_by_the_cluster_threads(dask_client):
    tasks = list(range(160))
    parts = shards.map_sharded(sum, tasks, client=dask_client, parallel_min=10**9, show=False)
    assert cluster.cluster_workers(dask_client) == 2
    assert len(parts) == 16 and sum(parts) == sum(tasks)  # 2 threads x 8 shards, even below parallel_min
    assert shards.run_sharded(lambda root, shard: [root + str(n) for n in shard], "/", ["a", "b"],
                              client=dask_client, show=False) == ["/a", "/b"]  # fmt: skip


def test_a_shard_that_raises_is_a_zx_error(dask_client):
    with pytest.raises(ZxError, match=r"shard 2 of 3 failed on the Dask cluster: TypeError"):
        cluster.map_on_client(dask_client, sum, [[1], ["not a number", 1], [2]])


def test_a_folder_the_workers_do_not_see_is_refused(dask_client, tmp_path):
    cluster.require_folder(dask_client, str(tmp_path))
    with pytest.raises(ZxError, match=r"2 Dask worker\(s\) do not see .*nowhere.*mount it read-only"):
        cluster.require_folder(dask_client, str(tmp_path / "nowhere"))
    with pytest.raises(ZxError, match="do not see"):
        shards.run_sharded(lambda root, shard: shard, str(tmp_path / "nowhere"), ["a"], client=dask_client)


def test_a_worker_that_dies_is_a_zx_error(dask_client):
    """`os._exit(3)` kills the worker process running it: Dask retries the task on others, then gives up."""
    try:
        with pytest.raises(ZxError, match=r"shard 1 of 1 failed on the Dask cluster: KilledWorker"):
            cluster.map_on_client(dask_client, os._exit, [3])
    finally:
        dask_client.wait_for_workers(2, timeout=60)  # the nannies restart them for the tests that follow


def test_the_core_imports_no_dask_without_a_client(sample_path):
    """The core install stays light: an audit without a client never imports dask or distributed."""
    code = ("import sys, zxforensics as zx; zx.open_backup(sys.argv[1], index=False).audit(progress=False); "
            "assert not {'dask', 'distributed'} & set(sys.modules), sorted(m for m in sys.modules if 'dask' in m)")
    subprocess.run([sys.executable, "-c", code, str(sample_path)], check=True, env={**os.environ, "TQDM_DISABLE": "1"})
