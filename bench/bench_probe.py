"""Probe benchmark: `probe` with its default sample and with `sample all`, next to shell baselines, same run.

    python bench/bench_probe.py                      # 100 accounts x 1,100 items (~200,000 states)
    python bench/bench_probe.py --accounts 20        # smaller

Baselines: `find BACKUP -type f | wc -l` (listing the whole tree, what `sample all` must at least do),
`find BACKUP/accounts -type f -print0 | xargs -0 cat > /dev/null` (reading every metadata file) and the same
over the whole tree (every file `sample all` reads, blobs included, without decompressing them). The store
is generated once under bench/data/ (gitignored); the page cache is warmed by the first baseline, so every
timed run starts warm.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time

from bench_data import ensure_store


def shell(script: str) -> tuple[float, str]:
    started = time.perf_counter()
    out = subprocess.run(["bash", "-c", script], check=True, capture_output=True, text=True).stdout.strip()
    return time.perf_counter() - started, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--items", type=int, default=1100)
    args = parser.parse_args()
    os.environ.setdefault("TQDM_DISABLE", "1")
    path = ensure_store("probe", args.accounts, args.items, seed=11)
    shell(f"find '{path}' -type f | wc -l")  # warm the listing
    find_s, files = shell(f"find '{path}' -type f | wc -l")
    cat_s, _ = shell(f"find '{path}/accounts' -type f -print0 | xargs -0 cat > /dev/null")
    all_s, _ = shell(f"find '{path}' -type f -print0 | xargs -0 cat > /dev/null")

    import zxforensics as zx
    from zxforensics.investigate.probe import probe

    rows = [("bash: find -type f | wc -l", find_s, f"{int(files):,} files"),
            ("bash: find accounts -type f | xargs cat", cat_s, "every metadata file read"),
            ("bash: find -type f | xargs cat", all_s, "every file read (what sample all reads)")]  # fmt: skip
    for sample in (200, "all"):
        store = zx.open_backup(path)
        started = time.perf_counter()
        report = probe(store, sample=sample)
        seconds = time.perf_counter() - started
        kinds = report.kinds.set_index("kind")
        read = int(kinds["read"].sum())
        rows.append((f"probe sample {sample}", seconds, f"{read:,} files read; {report.verdict[:60]}"))
    store = zx.open_backup(path)
    started = time.perf_counter()
    states = len(store.item_states())
    rows.append(("store.item_states() (the scan)", time.perf_counter() - started, f"{states:,} states"))
    table = [f"{'run':42}{'seconds':>9}  note", *(f"{name:42}{sec:9.2f}  {note}" for name, sec, note in rows)]
    print(f"\nstore: {path}\ncores: {os.cpu_count()}", *table, sep="\n")


if __name__ == "__main__":
    main()
