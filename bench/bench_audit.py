"""Audit benchmark: blob verification of `audit` against `gzip -dc FILE | sha256sum` per blob, same run.

    python bench/bench_audit.py                  # 30 accounts x 400 items (~9,000 blobs)
    python bench/bench_audit.py --accounts 100   # more
    python bench/bench_audit.py --workers 1      # one process
    python bench/bench_audit.py --dask           # also on a distributed.LocalCluster (2 worker processes)

Prints blobs/s and MB/s (compressed read, raw hashed) of the verification alone, of the whole
`audit()` (metadata scan included), and of the shell loop over the same blob files; with `--dask`, the
same two on a LocalCluster of `--dask-workers` processes (one thread each; its start is timed apart).
The store is generated once under bench/data/ (gitignored) and the page cache is warmed before each
timed run; the load average is printed beside the figures (the machine may be shared).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from bench_data import ensure_store
from shell import time_bash_loop

from zxforensics.evidence.files import Evidence

START = "LocalCluster start"  # a row of seconds alone, not a rate

# Heavy imports (pandas, pyarrow) stay inside the functions: the shell baseline needs none of them.


def warm(root: Path, tasks: list[tuple[str, str]]) -> None:
    """Read every blob once so that all timed runs start from the same (warm) page cache."""
    ev = Evidence(root)
    for rel, _digest in tasks:
        ev.read(rel, limit=1 << 30)


def shell_loop(files: list[str]) -> float:
    """`gzip -dc FILE | sha256sum` for each blob, from a bash loop (what an administrator would type)."""
    return time_bash_loop(files, 'gzip -dc -- "$f" | sha256sum > /dev/null')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=30)
    parser.add_argument("--items", type=int, default=400)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--dask", action="store_true", help="also measure on a distributed.LocalCluster")
    parser.add_argument("--dask-workers", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("TQDM_DISABLE", "1")
    import zxforensics as zx
    from zxforensics.investigate.blobcheck import check_blobs
    from zxforensics.investigate.coherency import files_to_verify
    from zxforensics.runtime.shards import default_workers, run_sharded

    workers = default_workers(args.workers)
    path = ensure_store("audit", args.accounts, args.items, seed=5)
    store = zx.open_backup(path, workers=workers)
    listing = store.blob_files()
    tasks, _found = files_to_verify(listing, None)  # every blob, as audit()
    files = [str(store.root / rel) for rel, _digest in tasks]
    compressed = sum(os.path.getsize(f) for f in files)

    warm(store.root, tasks)
    started = time.perf_counter()
    results = run_sharded(check_blobs, str(store.root), tasks, workers=workers, parallel_min=2000, show=False,
                          limit=store.max_blob_size)  # fmt: skip
    verify_s = time.perf_counter() - started
    raw = sum(r[4] or 0 for r in results)
    bad = sum(1 for r in results if r[2] is not None)

    warm(store.root, tasks)
    started = time.perf_counter()
    findings = zx.open_backup(path, workers=workers).audit(progress=False)
    audit_s = time.perf_counter() - started

    timed = [("audit blob verification (check_blobs pool)", verify_s),
             ("audit() whole (metadata scan included)", audit_s)]  # fmt: skip
    if args.dask:
        timed += on_dask(path, tasks, args.dask_workers, results, findings)

    warm(store.root, tasks)
    loop_s = shell_loop(files)
    timed.append(("bash: gzip -dc FILE | sha256sum", loop_s))

    n = len(files)
    print(f"\nstore: {path}\nblobs: {n:,} ({compressed / 1e6:.1f} MB compressed, {raw / 1e6:.1f} MB raw); "
          f"cores: {os.cpu_count()}, workers: {workers}; failed verifications: {bad}; findings: {len(findings)}; "
          f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{'run':48}{'seconds':>9}{'blobs/s':>11}{'MB/s comp':>11}{'MB/s raw':>10}{'vs loop':>9}")
    for name, seconds in timed:
        rates = f"{n / seconds:11,.0f}{compressed / 1e6 / seconds:11.2f}{raw / 1e6 / seconds:10.2f}"
        print(f"{name:48}{seconds:9.2f}" + ("" if name.startswith(START) else f"{rates}{loop_s / seconds:8.1f}x"))
    print(f"\nverification vs shell loop: {loop_s / verify_s:.1f}x the loop's blobs/s "
          f"(whole audit: {loop_s / audit_s:.1f}x); target >= 10x")


def on_dask(path: Path, tasks: list[tuple[str, str]], workers: int, local_results: list, local_findings) -> list:
    """The verification and the whole audit on a LocalCluster; both must equal the local run's."""
    import distributed
    from pandas.testing import assert_frame_equal

    import zxforensics as zx
    from zxforensics.investigate.blobcheck import check_blobs
    from zxforensics.runtime.shards import run_sharded

    started = time.perf_counter()
    cluster = distributed.LocalCluster(n_workers=workers, processes=True, threads_per_worker=1,
                                       dashboard_address=None)  # fmt: skip
    with cluster, distributed.Client(cluster) as client:
        client.run(lambda: __import__("zxforensics.investigate.blobcheck"))  # workers import the kit untimed
        start_s = time.perf_counter() - started
        store = zx.open_backup(path)
        warm(store.root, tasks)
        started = time.perf_counter()
        results = run_sharded(check_blobs, str(store.root), tasks, client=client, show=False,
                              limit=store.max_blob_size)  # fmt: skip
        verify_s = time.perf_counter() - started
        assert results == local_results, "the cluster's verdicts differ from the local ones"
        warm(store.root, tasks)
        started = time.perf_counter()
        findings = zx.open_backup(path).audit(progress=False, client=client)
        audit_s = time.perf_counter() - started
        assert_frame_equal(findings, local_findings)
    return [(f"{START} ({workers} workers)", start_s),
            (f"Dask blob verification, LocalCluster {workers} workers", verify_s),
            (f"Dask audit() whole, LocalCluster {workers} workers", audit_s)]


if __name__ == "__main__":
    main()
