"""Whole-store faces a batch of states at a time (issue 11): peak RSS of `store.blobs()`, `retention()`,
`shares()` and the pre-flight `diagnose(store)`, each in a fresh process on a warm index, with the
states read in batches (BATCH_STATES, the default) and in one batch of every state (what the faces held
before), next to the shell baseline of the same run.

    python bench/bench_batches.py PATH [--index FOLDER] [--faces blobs,retention,shares,diagnose]

PATH is a store already generated (`zxforensics make-sample OUT accounts 200 items 2000`); the index is
built once in FOLDER (default $TMPDIR/zx-bench-faces-index), never inside the store. Shell baseline:
`sort -u` of every blob's name (`find items -type f`), GNU time's peak RSS, the shell's answer to "which
blobs are there", and `cat` of the index's Parquet parts (one pass over every state, warm).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, os, resource, sys, time
os.environ["TQDM_DISABLE"] = "1"
started = time.perf_counter()
import zxforensics as zx
from zxforensics.store import backup
path, index, face, whole = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "whole"
if whole:
    backup.BATCH_STATES = 10**12  # every state in one batch: the peak of holding them all
store = zx.open_backup(path, index=index)
if face == "blobs":
    answer = int(store.blobs()["referenced"].sum())
elif face == "retention":
    answer = int(store.retention().bytes_freed)
elif face == "shares":
    answer = len(store.shares())
else:
    answer = len(zx.diagnose(store))
print(json.dumps({"face": face, "batches": "one" if whole else backup.BATCH_STATES, "answer": answer,
                  "seconds": round(time.perf_counter() - started, 2), "states_kept": store._states is not None,
                  "rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                  "worker_rss_mib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)}))
"""


def gnu_time(command: str) -> tuple[float, int]:
    """Seconds and peak RSS (MiB) of a shell command, by GNU time."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
        started = time.perf_counter()
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out.name, "bash", "-c", command], check=True)
        elapsed = time.perf_counter() - started
        return elapsed, int(out.read().split()[-1]) // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--index", type=Path, default=Path(tempfile.gettempdir()) / "zx-bench-faces-index")
    parser.add_argument("--faces", default="blobs,retention,shares,diagnose")
    args = parser.parse_args()
    build = "import zxforensics as zx, sys; zx.build_index(sys.argv[1], index=sys.argv[2])"
    subprocess.run([sys.executable, "-c", build, str(args.path), str(args.index)], check=True,
                   env={**os.environ, "TQDM_DISABLE": "1"})  # fmt: skip
    print(json.dumps({"load": os.getloadavg()}))
    seconds, peak = gnu_time(f"find '{args.path}/items' -type f -printf '%f\\n' | sort -u | wc -l > /dev/null")
    print(json.dumps({"shell": "find items | sort -u", "seconds": round(seconds, 2), "rss_mib": peak}))
    seconds, peak = gnu_time(f"find '{args.index}' -name '*.parquet' -exec cat {{}} + > /dev/null")
    print(json.dumps({"shell": "cat index parts", "seconds": round(seconds, 2), "rss_mib": peak}))
    for face in args.faces.split(","):
        for whole in ("batches", "whole"):
            done = subprocess.run([sys.executable, "-c", CHILD, str(args.path), str(args.index), face, whole],
                                  check=True, capture_output=True, text=True)  # fmt: skip
            print(done.stdout.strip().splitlines()[-1], flush=True)
    print(json.dumps({"load": os.getloadavg()}))


if __name__ == "__main__":
    main()
