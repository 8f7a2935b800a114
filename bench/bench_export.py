"""Mailbox export benchmark: `zx.export_mailbox` (Maildir++ and mbox) against a `gzip -dc` loop, same run.

    python bench/bench_export.py                 # every account of a 20 x 300 store
    python bench/bench_export.py --accounts 50   # more

The baseline writes the same blobs as `.eml` files from a bash loop (`gzip -dc FILE > N.eml`): no
digest check, no folders, no flags, no manifest. The kit verifies each blob's digest, writes it
through Python's mailbox module into the folder tree of the date, reads it back, and writes the
manifests. Prints messages/s of each.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from handover_store import blob_files, ensure_store, warm
from shell import time_bash_loop


def gzip_loop(files: list[str], out: Path) -> float:
    """`gzip -dc FILE > out/N.eml` for each blob, from a bash loop."""
    return time_bash_loop(files, f'gzip -dc -- "$f" > "{out}/$n.eml"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--items", type=int, default=300)
    args = parser.parse_args()
    os.environ.setdefault("TQDM_DISABLE", "1")
    import zxforensics as zx

    root = ensure_store(args.accounts, args.items)
    warm(blob_files(root))
    store = zx.open_backup(root)
    names = list(store.accounts()["name"])
    store.item_states()  # the scan is timed by bench_scan; here the export alone
    rows = []
    with tempfile.TemporaryDirectory(prefix="zx-export-bench-") as scratch:
        for fmt in ("maildir", "mbox"):
            written = 0
            started = time.perf_counter()
            for name in names:
                written += len(zx.export_mailbox(store, name, Path(scratch) / fmt / name, format=fmt, progress=False))
            rows.append((f"export_mailbox, {fmt}", time.perf_counter() - started, written))
        import pandas as pd

        manifests = [pd.read_csv(Path(scratch) / "maildir" / name / "manifest.csv") for name in names]
        files = [str(root / "items" / d[:2] / d) for m in manifests for d in m["digest"]]
        warm(files)
        (Path(scratch) / "loop").mkdir()
        rows.append(("bash: gzip -dc FILE > N.eml", gzip_loop(files, Path(scratch) / "loop"), len(files)))
    print(f"\nstore: {root}\naccounts: {len(names)}; cores: {os.cpu_count()}; warm page cache")
    print(f"{'run':34}{'seconds':>9}{'messages':>10}{'messages/s':>12}")
    for name, seconds, count in rows:
        print(f"{name:34}{seconds:9.2f}{count:10,}{count / seconds:12,.0f}")


if __name__ == "__main__":
    main()
