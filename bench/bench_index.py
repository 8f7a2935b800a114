"""Index benchmark (issue 11): the persistent index on metadata-only stores of a million states and more,
each figure next to the shell baseline measured in the same run.

    python bench/bench_index.py                         # 1,000 accounts x 530 items (about 1.0M states)
    python bench/bench_index.py --accounts 5120         # about 5.1M states
    python bench/bench_index.py --store PATH            # a store already generated
    python bench/bench_index.py --no-dask               # leave out the LocalCluster build
    python bench/bench_index.py --accounts 5120 --no-memory --no-dask   # the 5M figures alone

Stores are generated once (`zx.generate_store(..., blobs=False)`, no blob bodies) under
$ZX_BENCH_STORES (default /tmp/zx-bench-stores): never in the repository. Every measured step runs in a
fresh process; peak RSS is that process's (and its workers'). The page cache is dropped before each
cold run when the machine allows it (root on Linux).

Measured: index build (cold and warm) against `find accounts -type f -exec cat {} +` (cold and warm),
its peak RSS and the slope per state, a fresh process's open + one account's item_states(), get_item,
summary, an incremental refresh after 1% of the accounts gain states (warm against the warm build, with
the page cache dropped against the cold one),
item_states() of every state in memory (no index) and from the index (the part of the peak that is not the
frame is measured before the call), and the build on a Dask LocalCluster. Each kit figure is the work
alone: the process's imports (pandas, pyarrow; about half a second) are taken before the clock starts and
reported apart, as a notebook or a long-lived process pays them once.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench_data import generate_once
from shell import drop_caches

ITEMS_PER_ACCOUNT = 530  # about 1.89 states an item: 1,000 accounts make a million states
STORES = Path(os.environ.get("ZX_BENCH_STORES", "/tmp/zx-bench-stores"))
NEW_ITEM_ID = 10_000_000  # items added for the refresh run: above every generated id

CHILD_PRELUDE = r"""
import json, os, resource, sys, time
started = time.perf_counter()
import zxforensics as zx
import zxforensics.investigate  # what open_backup and build_index import (pandas, pyarrow): timed apart,
imports = time.perf_counter() - started  # a constant of the process, not of the work measured after it
def peak_mib():
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
def done(**figures):
    own, workers = peak_mib()
    print(json.dumps({**figures, "rss_mib": own, "worker_rss_mib": workers, "imports_seconds": imports,
                      "process_seconds": time.perf_counter() - started}))
path, index = sys.argv[1], sys.argv[2]
"""

BUILD = r"""
t = time.perf_counter()
store = zx.build_index(path, index=index)
seconds = time.perf_counter() - t
done(seconds=seconds, rescanned=len(store.rescanned), info=store.index_info())
"""

BUILD_DASK = r"""
from distributed import Client, LocalCluster
cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
client = Client(cluster)
t = time.perf_counter()
store = zx.build_index(path, index=index, client=client)
seconds = time.perf_counter() - t
client.close(); cluster.close()
done(seconds=seconds, rescanned=len(store.rescanned))
"""

LOOKUPS = r"""
t = time.perf_counter()
store = zx.open_backup(path, index=index)
account = sys.argv[3]
states = store.item_states(account)
first = time.perf_counter() - t
item_id = int(states["item_id"].iloc[len(states) // 2])
other = sys.argv[4]
t = time.perf_counter()
item = store.get_item(other, int(store.item_states(other)["item_id"].iloc[0]))
get_item = time.perf_counter() - t
t = time.perf_counter()
table = zx.summarize(store)
summary = time.perf_counter() - t
done(imports=imports, open_one_account=first, account_states=len(states), get_item=get_item, item_states_rows=len(item),
     summary=summary, summary_states=str(table.set_index("metric")["value"].get("item states")))
"""

REFRESH = r"""
t = time.perf_counter()
store = zx.open_backup(path, index=index)
opened = time.perf_counter() - t
rescanned = store.refresh(full=sys.argv[3] == "full")
seconds = time.perf_counter() - t
done(seconds=seconds, open_seconds=opened, rescanned=len(rescanned))
"""

IN_MEMORY = r"""
store = zx.open_backup(path, index=False if index == "False" else index)
store.accounts()
before, _ = peak_mib()  # imports, the store and its accounts: the part of the peak that is not the frame
t = time.perf_counter()
states = store.item_states()
seconds = time.perf_counter() - t
own, workers = peak_mib()  # before the checks below allocate
frame = states.memory_usage(deep=True).sum() / 2**20
print(json.dumps({"seconds": seconds, "states": len(states), "rss_mib": own, "worker_rss_mib": workers,
                  "frame_mib": frame, "before_mib": before}))
"""


def ensure_store(accounts: int, items: int) -> Path:
    import zxforensics as zx

    def make(folder: Path) -> None:
        zx.generate_store(folder, accounts=accounts, items_per_account=items, seed=1, blobs=False)

    what = f"{accounts} accounts x {items} items (metadata only)"
    return generate_once(STORES / f"store_{accounts}x{items}", what, make)


def time_find_cat(path: Path) -> float:
    """The shell baseline over what the build reads: find + cat of every file under accounts/."""
    started = time.perf_counter()
    subprocess.run(f"find '{path}/accounts' -type f -exec cat {{}} + > /dev/null", shell=True, check=True)
    return time.perf_counter() - started


def time_find_stat(path: Path) -> float:
    """The floor of a full refresh: the stat of every file under accounts/ (`find -printf` of size and mtime)."""
    started = time.perf_counter()
    subprocess.run(f"find '{path}/accounts' -type f -printf '%s %T@\\n' > /dev/null", shell=True, check=True)
    return time.perf_counter() - started


def child(script: str, *args: str) -> dict:
    env = dict(os.environ, TQDM_DISABLE="1")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD_PRELUDE + script, *map(str, args)],
                          check=True, capture_output=True, text=True, env=env)  # fmt: skip
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_seconds"] = time.perf_counter() - started  # interpreter start and imports included
    note(script.strip().splitlines()[0], result)
    return result


def note(step: str, result: object) -> None:
    """Each figure as it comes, with the load at that moment: a long run on a shared machine says what it saw."""
    print(f"[{time.strftime('%H:%M:%S')} load {os.getloadavg()[0]:.1f}] {step}: {json.dumps(result)}", flush=True)


def add_states(path: Path, share: float = 0.01) -> list[str]:
    """`share` of the accounts gain new items (about 2 states each), as a later SmartScan adds them."""
    import random

    from zxforensics.sample.builder import StoreBuilder
    from zxforensics.sample.catalog import LAST_SCAN
    from zxforensics.sample.generate import chain, history

    accounts = sorted(p.name for p in (path / "accounts").iterdir() if p.is_dir())
    step = max(1, round(1 / share))
    # each call (this run's and every earlier run's on the same store) takes other accounts, so every refresh
    # measured rescans accounts of the generated size, not ones grown by earlier calls; counted beside the store
    counter = path.with_name(path.name + ".additions")
    done = int(counter.read_text()) if counter.exists() else 0
    counter.write_text(str(done + 1))
    chosen = accounts[done % step :: step]
    builder, rng = StoreBuilder(path, blobs=False), random.Random(11)
    base = NEW_ITEM_ID + done * 1_000_000  # new items, above every generated id and every earlier call's
    for account_id in chosen:
        for n in range(50):
            item_id = base + n
            states = history(rng, LAST_SCAN - 3 * 86_400_000, 2, LAST_SCAN)
            for number, state in enumerate(states, start=1):
                state.update(id=item_id, type="message", revision=number, subject=f"New {n}", date=LAST_SCAN)
            builder.item(account_id, item_id, chain(states))
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--items", type=int, default=ITEMS_PER_ACCOUNT)
    parser.add_argument("--store", type=Path, help="a store already generated (its index goes beside it)")
    parser.add_argument("--no-dask", action="store_true", help="leave out the LocalCluster build")
    parser.add_argument("--no-memory", action="store_true",
                        help="leave out item_states() in memory (its goal is set at 1M states; 5M needs gigabytes)")
    args = parser.parse_args()
    path = args.store or ensure_store(args.accounts, args.items)
    index = Path(f"{path}.index")
    shutil.rmtree(index, ignore_errors=True)
    accounts = sorted(p.name for p in (path / "accounts").iterdir() if p.is_dir())
    files = sum(len(names) for _, _, names in os.walk(path / "accounts"))
    load = os.getloadavg()
    cold = drop_caches()
    find_cold = time_find_cat(path)
    note("find -exec cat, cold", find_cold)
    find_warm = time_find_cat(path)
    note("find -exec cat, warm", find_warm)
    drop_caches()
    build_cold = child(BUILD, path, index)
    shutil.rmtree(index)
    build_warm = child(BUILD, path, index)
    states = build_warm["info"]["states"]
    lookups = child(LOOKUPS, path, index, accounts[len(accounts) // 2], accounts[-1])
    unchanged = child(REFRESH, path, index, "full")  # the full check alone: every item file's stat, nothing rescanned
    find_stat = time_find_stat(path)
    note("find -printf '%s %T@', warm", find_stat)
    chosen = add_states(path)
    refresh = child(REFRESH, path, index, "full")
    add_states(path)
    quick = child(REFRESH, path, index, "quick")
    memory = None if args.no_memory else child(IN_MEMORY, path, False)  # every state, without the index
    indexed = None if args.no_memory else child(IN_MEMORY, path, index)  # the same frame from the index
    dask = None
    if not args.no_dask:
        dask_index = Path(f"{path}.index-dask")
        shutil.rmtree(dask_index, ignore_errors=True)
        dask = child(BUILD_DASK, path, dask_index)
        shutil.rmtree(dask_index)
    add_states(path)
    drop_caches()  # a refresh of a backup path nobody read since: against the cold build
    refresh_cold = child(REFRESH, path, index, "full")
    drop_caches()
    find_stat_cold = time_find_stat(path)
    note("find -printf '%s %T@', cold", find_stat_cold)

    print(f"\nstore: {path} ({states:,} states, {len(accounts):,} accounts, {files:,} metadata files)")
    print(f"page cache dropped before cold runs: {'yes' if cold else 'no'}; cores: {os.cpu_count()}; "
          f"load average at the start: {load[0]:.1f}, at the end: {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"\n{'run':36}{'seconds':>9}{'files/s':>10}{'states/s':>11}{'peak RSS MiB':>14}{'workers':>9}")
    rows = [("find -exec cat (cold)", find_cold, None), ("find -exec cat (warm)", find_warm, None),
            ("index build (cold)", build_cold["seconds"], build_cold),
            ("index build (warm)", build_warm["seconds"], build_warm)]  # fmt: skip
    if dask:
        rows.append(("index build, Dask LocalCluster 2x1", dask["seconds"], dask))
    if memory:
        rows.append(("item_states() in memory, no index", memory["seconds"], memory))
        rows.append(("item_states() of all, from the index", indexed["seconds"], indexed))
    for name, seconds, result in rows:
        rss = f"{result['rss_mib']:14.0f}{result['worker_rss_mib']:9.0f}" if result else ""
        print(f"{name:36}{seconds:9.2f}{files / seconds:10,.0f}{states / seconds:11,.0f}{rss}")
    peak = max(build_warm["rss_mib"], build_warm["worker_rss_mib"])
    print(f"\ncold build vs find+cat cold: {find_cold / build_cold['seconds']:.2f}x faster; "
          f"warm: {find_warm / build_warm['seconds']:.2f}x")  # fmt: skip
    print(f"every kit figure leaves out its process's imports (pandas, pyarrow), measured apart: "
          f"{build_warm['imports_seconds']:.2f} s in the warm build's process")  # fmt: skip
    print(f"build peak RSS (largest process): {peak:.0f} MiB = {peak * 2**20 / states:.0f} bytes/state over {states:,}")
    print(f"index on disk: {build_warm['info']['bytes'] / 2**20:.0f} MiB ({build_warm['info']['parts']} parts)")
    print(f"fresh process, open_backup + one account's item_states(): {lookups['open_one_account']:.2f} s "
          f"({lookups['account_states']:,} states) after {lookups['imports']:.2f} s of imports; "
          f"{lookups['wall_seconds']:.2f} s wall with the interpreter")  # fmt: skip
    print(f"get_item: {lookups['get_item'] * 1000:.0f} ms; summary: {lookups['summary']:.2f} s "
          f"(states {lookups['summary_states']})")  # fmt: skip
    print(f"refresh with nothing changed (the full check alone): {unchanged['seconds']:.2f} s, "
          f"{unchanged['rescanned']} rescanned, {unchanged['seconds'] / build_warm['seconds']:.1%} of the warm build; "
          f"find -printf of every file's size and mtime: {find_stat:.2f} s")  # fmt: skip
    share = refresh["seconds"] / build_warm["seconds"]
    print(f"refresh after {len(chosen)} accounts gained states: {refresh['seconds']:.2f} s, "
          f"{refresh['rescanned']} rescanned, {share:.1%} of the warm full build, "
          f"{refresh['seconds'] / build_cold['seconds']:.1%} of the cold one")  # fmt: skip
    print(f"refresh(full=False) after {len(chosen)} more accounts gained states: {quick['seconds']:.2f} s, "
          f"{quick['rescanned']} rescanned, {quick['seconds'] / build_warm['seconds']:.1%} of the warm full build "
          f"(open_backup {quick['open_seconds']:.2f} s of it)")
    print(f"refresh, cache dropped, after {len(chosen)} more accounts gained states: {refresh_cold['seconds']:.2f} s, "
          f"{refresh_cold['rescanned']} rescanned, {refresh_cold['seconds'] / build_cold['seconds']:.1%} of the cold "
          f"full build; find -printf cold: {find_stat_cold:.2f} s")  # fmt: skip
    for how, run in (("in memory (no index)", memory), ("from the index", indexed)):
        if run:
            print(f"item_states() {how}: {run['states']:,} states, peak {run['rss_mib']:.0f} MiB = "
                  f"{run['before_mib']:.0f} MiB before the call (imports, store, accounts) + "
                  f"{run['rss_mib'] - run['before_mib']:.0f}; the frame is {run['frame_mib']:.0f} MiB")  # fmt: skip
    if dask:
        print(f"Dask LocalCluster build vs local build (warm): {dask['seconds'] / build_warm['seconds']:.2f}x the time")


if __name__ == "__main__":
    main()
