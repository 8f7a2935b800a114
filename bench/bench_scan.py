"""Scan benchmark: item_states() cold and warm against `find -exec cat` on the same tree, same run.

    python bench/bench_scan.py            # 100,000 states
    python bench/bench_scan.py --million  # 1,000,000 states

Prints states/s and files/s, the shell baseline, and peak RSS of the scanning process.
The store is generated once under bench/data/ (gitignored) and reused.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from shell import drop_caches

HERE = Path(__file__).resolve().parent
ITEMS_PER_ACCOUNT = 512  # about 1.95 states per item

SCAN_CHILD = r"""
import json, resource, sys, time
import zxforensics as zx
store = zx.open_backup(sys.argv[1], workers=int(sys.argv[2]) if len(sys.argv) > 2 else None)
start = time.perf_counter()
states = store.item_states()
elapsed = time.perf_counter() - start
rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the checks below allocate
print(json.dumps({
    "seconds": elapsed,
    "states": len(states),
    "items": int(states.groupby(["account_id", "item_id"], observed=True).ngroups),
    "errors": len(store.errors),
    "frame_mib": states.memory_usage(deep=True).sum() / 2**20,
    "rss_mib": rss_mib,
    "worker_rss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
}))
"""


def ensure_store(accounts: int) -> Path:
    from zxforensics.sample import generate_store

    path = HERE / "data" / f"store_{accounts}x{ITEMS_PER_ACCOUNT}"
    if not (path / "backupstat").exists():
        started = time.perf_counter()
        print(f"generating {accounts} accounts x {ITEMS_PER_ACCOUNT} items into {path} ...", flush=True)
        generate_store(path, accounts=accounts, items_per_account=ITEMS_PER_ACCOUNT, seed=1)
        print(f"  generated in {time.perf_counter() - started:.1f} s", flush=True)
    return path


def count_files(path: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(path / "accounts"))


def time_find_cat(path: Path) -> float:
    """The shell baseline over the metadata the scan reads: find + cat of every file under accounts/."""
    started = time.perf_counter()
    subprocess.run(f"find '{path}/accounts' -type f -exec cat {{}} + > /dev/null", shell=True, check=True)
    return time.perf_counter() - started


def time_scan(path: Path, workers: int | None = None) -> dict:
    args = [sys.executable, "-c", SCAN_CHILD, str(path)] + ([str(workers)] if workers else [])
    env = dict(os.environ, TQDM_DISABLE="1")
    out = subprocess.run(args, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--million", action="store_true", help="1,000,000 states instead of 100,000")
    args = parser.parse_args()
    accounts = 1000 if args.million else 100
    path = ensure_store(accounts)
    files = count_files(path)
    cold = drop_caches()
    baseline_cold = time_find_cat(path)
    baseline_warm = time_find_cat(path)
    drop_caches()
    scan_cold = time_scan(path)
    scan_warm = time_scan(path)
    scan_warm_1 = time_scan(path, workers=1)
    states = scan_warm["states"]
    print(f"\nstore: {path} ({states:,} states, {scan_warm['items']:,} items, {files:,} metadata files)")
    dropped = "yes" if cold else "no (fresh tree instead)"
    print(f"page cache dropped before cold runs: {dropped}; cores: {os.cpu_count()}")
    rows = [
        ("find -exec cat (cold)", baseline_cold, None),
        ("find -exec cat (warm)", baseline_warm, None),
        ("item_states() cold", scan_cold["seconds"], scan_cold),
        ("item_states() warm", scan_warm["seconds"], scan_warm),
        ("item_states() warm, 1 worker", scan_warm_1["seconds"], scan_warm_1),
    ]
    print(f"{'run':32}{'seconds':>9}{'files/s':>11}{'states/s':>11}{'peak RSS MiB':>14}{'worker RSS':>12}")
    for name, seconds, result in rows:
        rss = f"{result['rss_mib']:14.0f}{result['worker_rss_mib']:12.0f}" if result else ""
        rate = f"{states / seconds:11,.0f}" if result else f"{'':11}"
        print(f"{name:32}{seconds:9.2f}{files / seconds:11,.0f}{rate}{rss}")
    frame = scan_warm["frame_mib"]
    print(f"\nframe in memory: {frame:.0f} MiB ({frame * 2**20 / states:.0f} bytes/state)")
    print(f"cold scan vs find+cat (cold): {baseline_cold / scan_cold['seconds']:.2f}x")


if __name__ == "__main__":
    main()
