"""Parse benchmark: the scan's parse stage alone (item files already in memory -> the states table),
against `orjson.loads` of the same bytes (the floor) in the same run; storage and the pool play no part,
so a change to the parsers shows even on a busy machine.

    python bench/bench_parse.py              # the bench_scan store (100 accounts x 512 items)
    python bench/bench_parse.py --rounds 7   # best of 7

The store is the one bench/bench_scan.py generates under bench/data/ (made here if missing).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_scan import ensure_store  # noqa: E402

try:  # the parse stage moved out of store/scan.py
    from zxforensics.store.item_files import parse_item_files
except ImportError:  # pragma: no cover - older trees
    from zxforensics.store.scan import parse_item_files


def load(path: Path) -> dict[str, list[tuple[str, int, str, bytes]]]:
    """account id -> (path, item id, NN folder, bytes) of its item files, read once."""
    accounts: dict[str, list] = {}
    for account in sorted(os.listdir(path / "accounts")):
        files = accounts[account] = []
        items = path / "accounts" / account / "items"
        for nn in sorted(os.listdir(items)):
            for name in sorted(os.listdir(items / nn)):
                files.append((f"accounts/{account}/items/{nn}/{name}", int(name), nn, (items / nn / name).read_bytes()))
    return accounts


def best(rounds: int, run) -> tuple[float, float]:
    """Best wall-clock and best CPU seconds of `rounds` runs (CPU time is what a busy machine disturbs least)."""
    walls, cpus = [], []
    for _ in range(rounds):
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    accounts = load(ensure_store(100))
    files = sum(len(f) for f in accounts.values())
    states = sum(len(orjson.loads(data)) for f in accounts.values() for *_r, data in f)

    def floor() -> None:
        for entries in accounts.values():
            for *_rest, data in entries:
                orjson.loads(data)

    def parse() -> None:
        for account, entries in accounts.items():
            errors: list[dict] = []
            parse_item_files(account, entries, errors)

    print(f"{files:,} item files, {states:,} states, best of {args.rounds}")
    print(f"{'run':40}{'wall s':>9}{'CPU s':>9}{'states/CPU s':>14}")
    for name, run in (("orjson.loads of every file (floor)", floor), ("parse_item_files (the scan's parse)", parse)):
        wall, cpu = best(args.rounds, run)
        print(f"{name:40}{wall:9.3f}{cpu:9.3f}{states / cpu:14,.0f}")


if __name__ == "__main__":
    main()
