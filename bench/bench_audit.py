"""Audit benchmark: blob verification of `audit` against `gzip -dc FILE | sha256sum` per blob, same run.

    python bench/bench_audit.py                  # 30 accounts x 400 items (~9,000 blobs)
    python bench/bench_audit.py --accounts 100   # more
    python bench/bench_audit.py --workers 1      # one process

Prints blobs/s and MB/s (compressed read, raw hashed) of the verification alone, of the whole
`audit()` (metadata scan included), and of the shell loop over the same blob files; the store is
generated once under bench/data/ (gitignored) and the page cache is warmed before each timed run.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from bench_data import ensure_store
from shell import time_bash_loop

from zxforensics.evidence.files import Evidence

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
    args = parser.parse_args()
    os.environ.setdefault("TQDM_DISABLE", "1")
    import zxforensics as zx
    from zxforensics.investigate.blobcheck import check_blobs
    from zxforensics.investigate.coherency import blob_layout, list_blobs, references
    from zxforensics.runtime.shards import default_workers, run_sharded

    workers = default_workers(args.workers)
    path = ensure_store("audit", args.accounts, args.items, seed=5)
    store = zx.open_backup(path, workers=workers)
    refs = references(store.item_states())
    names, prefixes, _found = list_blobs(store.evidence)
    tasks, _found = blob_layout(names, prefixes, refs, full=True)
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

    warm(store.root, tasks)
    loop_s = shell_loop(files)

    n = len(files)
    print(f"\nstore: {path}\nblobs: {n:,} ({compressed / 1e6:.1f} MB compressed, {raw / 1e6:.1f} MB raw); "
          f"cores: {os.cpu_count()}, workers: {workers}; failed verifications: {bad}; findings: {len(findings)}")
    print(f"{'run':44}{'seconds':>9}{'blobs/s':>11}{'MB/s comp':>11}{'MB/s raw':>10}")
    for name, seconds in (("audit blob verification (check_blobs pool)", verify_s),
                          ("audit() whole (metadata scan included)", audit_s),
                          ("bash: gzip -dc FILE | sha256sum", loop_s)):  # fmt: skip
        rates = f"{n / seconds:11,.0f}{compressed / 1e6 / seconds:11.2f}{raw / 1e6 / seconds:10.2f}"
        print(f"{name:44}{seconds:9.2f}{rates}")
    print(f"\nverification vs shell loop: {loop_s / verify_s:.1f}x the loop's blobs/s "
          f"(whole audit: {loop_s / audit_s:.1f}x); target >= 10x")


if __name__ == "__main__":
    main()
