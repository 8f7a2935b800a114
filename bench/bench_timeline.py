"""Timeline benchmark (issue 11): the streamed timeline export and the report's month counts from DuckDB,
against the in-memory path (a frame of every event, as the report built it) and a shell baseline, same run.

    python bench/bench_timeline.py                        # the 1,000 x 530 store (about 1.0M states)
    python bench/bench_timeline.py --store PATH --index DIR

The store is generated once if missing (`zx.generate_store(..., blobs=False)`) under $ZX_BENCH_STORES
(default /tmp/zx-bench-stores) and never changed. The index used is this benchmark's own (`--index`,
default a folder under the system temp): a copy of `<store>.index` when there is one, so the store's own
index is never written. Every measured step runs in a fresh process; peak RSS is that process's.

Measured: `export_timeline` to CSV from the index (DuckDB, slices, batches) and the in-memory path
(`timeline()` + `write_timeline`, with the same index behind item_states), their peak RSS, that the two
files are the same bytes, `states_by_month` (DuckDB) against `count_by_month(timeline())`, and the shell
baseline `cat FILE > COPY` of the same file (the cost of writing that many bytes, warm cache).
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STORES = Path(os.environ.get("ZX_BENCH_STORES", "/tmp/zx-bench-stores"))

CHILD_PRELUDE = r"""
import json, os, resource, sys, time
os.environ["TQDM_DISABLE"] = "1"
started = time.perf_counter()
import zxforensics as zx
from zxforensics.investigate.timeline import count_by_month, export_timeline, states_by_month, timeline, write_timeline
def done(**figures):
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({**figures, "rss_mib": rss, "process_seconds": time.perf_counter() - started}))
path, index, out = sys.argv[1], sys.argv[2], sys.argv[3]
store = zx.open_backup(path, index=index)
"""

PREPARE = r"""
done(info=store.index_info())
"""

STREAM = r"""
t = time.perf_counter()
written = export_timeline(store, out, overwrite=True)
done(seconds=time.perf_counter() - t, events=int(written.counts.sum()))
"""

MEMORY = r"""
t = time.perf_counter()
events = timeline(store)
write_timeline(events, out, overwrite=True)
done(seconds=time.perf_counter() - t, events=len(events))
"""

MONTHS_SQL = r"""
t = time.perf_counter()
table = states_by_month(store)
done(seconds=time.perf_counter() - t, states=int(table.to_numpy().sum()), months=len(table))
"""

MONTHS_FRAME = r"""
t = time.perf_counter()
table = count_by_month(timeline(store), store.tz)
done(seconds=time.perf_counter() - t, states=int(table.to_numpy().sum()), months=len(table))
"""


def child(script: str, *args: object) -> dict:
    """Run one step in a fresh Python process; its last stdout line is the JSON of its figures."""
    done = subprocess.run([sys.executable, "-c", CHILD_PRELUDE + script, *map(str, args)],
                          check=True, capture_output=True, text=True)  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def time_cat(source: Path, target: Path) -> float:
    """`cat FILE > COPY`: writing the same bytes with no work, the floor of any export."""
    started = time.perf_counter()
    subprocess.run(f"cat '{source}' > '{target}'", shell=True, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=STORES / "store_1000x530")
    parser.add_argument("--index", type=Path, default=Path(tempfile.gettempdir()) / "zx-bench-timeline.index")
    args = parser.parse_args()
    if not args.store.exists():
        import zxforensics as zx

        zx.generate_store(args.store, accounts=1000, items_per_account=530, seed=1, blobs=False)
    own = Path(f"{args.store}.index")
    if not args.index.exists() and own.is_dir():
        shutil.copytree(own, args.index)  # the store's index is read, never written
    load_before = os.getloadavg()
    info = child(PREPARE, args.store, args.index, "-")["info"]  # built (or rebuilt) here, not timed
    with tempfile.TemporaryDirectory(prefix="zx-timeline-bench-") as scratch:
        out = Path(scratch)
        stream = child(STREAM, args.store, args.index, out / "stream.csv")
        memory = child(MEMORY, args.store, args.index, out / "memory.csv")
        same = filecmp.cmp(out / "stream.csv", out / "memory.csv", shallow=False)
        size = (out / "stream.csv").stat().st_size
        cat = time_cat(out / "stream.csv", out / "copy.csv")
        months_sql = child(MONTHS_SQL, args.store, args.index, "-")
        months_frame = child(MONTHS_FRAME, args.store, args.index, "-")
    load_after = os.getloadavg()
    print(f"\nstore: {args.store}  index: {args.index}  states: {info['states']:,}  cores: {os.cpu_count()}")
    print(f"timeline.csv: {size / 2**20:.0f} MiB, {stream['events']:,} events; streamed file == in-memory file: {same}")
    print(f"{'run':48}{'seconds':>9}{'peak RSS MiB':>14}{'events/s':>11}")
    rows = [("export_timeline, streamed from the index", stream),
            ("timeline() + write_timeline, in memory", memory)]  # fmt: skip
    for name, figures in rows:
        rate = figures["events"] / figures["seconds"]
        print(f"{name:48}{figures['seconds']:9.2f}{figures['rss_mib']:14.0f}{rate:11,.0f}")
    print(f"{'shell: cat timeline.csv > copy (warm)':48}{cat:9.2f}{'':>14}{stream['events'] / cat:11,.0f}")
    for name, figures in (("states_by_month, DuckDB", months_sql), ("count_by_month(timeline())", months_frame)):
        print(f"{name:48}{figures['seconds']:9.2f}{figures['rss_mib']:14.0f}")
    print(f"load average (1, 5, 15 min): before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
          f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
