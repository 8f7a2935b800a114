"""Tiny hostile files against the readers: tar headers claiming huge members, LDIF values folded over
many lines, an item file of millions of states. Each case runs in a child process (a hang is killed at
--timeout; the parent stays small, since Linux carries its peak RSS into a forked child) and prints its
seconds and peak RSS; `gzip -dc | tar -t`, `wc -l` or `cat` over the same file is the baseline.

    python bench/bench_hostile.py
    python bench/bench_hostile.py --timeout 60 --ldif 10000 20000 40000 80000 1000000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

from zxforensics.sample.builder import StoreBuilder
from zxforensics.sample.hostile import folded_ldif, tar_claiming

CHILD = r"""
import json, resource, sys, time
import zxforensics as zx
from zxforensics.evidence.files import Evidence
from zxforensics.evidence.tar import read_archive
from zxforensics.parse.ldap_dump import parse_ldif
kind, path = sys.argv[1], sys.argv[2]
start = time.perf_counter()
if kind == "tar":
    read = read_archive(Evidence(path), "a.tar.gz")
    note = "; ".join(sorted({e["kind"] for e in read.errors})) or "ok"
elif kind == "ldif":
    entries = parse_ldif(open(path, "rb").read())
    note = f"{len(entries)} entries, value {len(entries[0][1]['description'][0]):,} chars"
else:
    store = zx.open_backup(path)
    verb = kind.split(":")[1]
    result = store.accounts() if verb == "accounts" else store.item_states()
    note = f"{len(result)} rows; errors: " + ", ".join(sorted(set(store.errors["kind"].astype(str))))
elapsed = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "note": note, "rss_mib": rss}))
"""


def child(kind: str, path: Path, timeout: float) -> str:
    try:
        done = subprocess.run([sys.executable, "-c", CHILD, kind, str(path)], capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"{'-':>9}{'-':>10}  killed after {timeout:.0f} s"
    if done.returncode:
        return f"{'-':>9}{'-':>10}  failed: {done.stderr.strip().splitlines()[-1][:90]}"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return f"{result['seconds']:9.2f}{result['rss_mib']:10.0f}  {result['note'][:90]}"


def shell(command: str) -> float:
    started = time.perf_counter()
    subprocess.run(command, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # tar may fail
    return time.perf_counter() - started


def account_store(root: Path, archive: bytes | None = None, states: int = 0) -> Path:
    """A store of one account: kept as an account archive, or a folder with one item of `states` states."""
    builder = StoreBuilder(root)
    builder.backupstat("srv", 1, 2, 1)
    if archive is not None:
        builder.write("accounts/acc-1.tar.gz", archive)
        return root
    builder.account({"zimbraId": "acc-1", "mail": "one@example.com"}, {"lastScan": 1, "deleted": False})
    (root / "accounts/acc-1/items/00").mkdir(parents=True)
    base = 1_373_639_744_000
    with open(root / "accounts/acc-1/items/00/300", "wb") as out:  # in pieces: the parent stays small
        out.write(b"[")
        for first in range(0, states, 10_000):
            piece = [{"transactionId": n, "id": 300, "type": "message", "folderId": 2, "startDate": base + n,
                      "endDate": base + n + 1, "deleted": False, "digest": None, "size": 100,
                      "subject": "a state among millions"} for n in range(first, min(states, first + 10_000))]
            out.write((b"," if first else b"") + orjson.dumps(piece)[1:-1])
        out.write(b"]")
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--ldif", type=int, nargs="*", default=[10_000, 20_000, 40_000, 80_000, 1_000_000])
    parser.add_argument("--states", type=int, default=1_300_000)
    parser.add_argument("--cases", nargs="*", default=["tar", "ldif", "states"], help="tar, ldif, states")
    args = parser.parse_args()
    print(f"{'case':52}{'seconds':>9}{'RSS MiB':>10}  result")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for label, size in (("2**60 bytes", 2**60), ("100 GB", 100 * 10**9)) if "tar" in args.cases else ():
            case = folder / f"tar_{size}"
            case.mkdir()
            data = tar_claiming(size)
            (case / "a.tar.gz").write_bytes(data)
            baseline = shell(f"gzip -dc '{case}/a.tar.gz' | tar -t")  # GNU tar stops at the early end
            print(f"{f'gzip -dc | tar -t, member claims {label} (shell)':52}{baseline:9.2f}")
            print(f"{f'read_archive, {len(data)}-byte tar.gz claims {label}':52}"
                  f"{child('tar', case, args.timeout)}", flush=True)
            store = account_store(folder / f"store_{size}", archive=data)
            for verb in ("accounts", "item_states"):
                print(f"{f'{verb}(), accounts/<id>.tar.gz claims {label}':52}"
                      f"{child('store:' + verb, store, args.timeout)}", flush=True)
        for lines in args.ldif if "ldif" in args.cases else ():
            path = folder / f"folded_{lines}.ldif"
            path.write_bytes(folded_ldif(lines))
            print(f"{f'wc -l, LDIF folded over {lines:,} lines (shell)':52}{shell(f'wc -l {path}'):9.2f}")
            print(f"{f'parse_ldif, value folded over {lines:,} lines':52}{child('ldif', path, args.timeout)}",
                  flush=True)
        if "states" not in args.cases:
            return
        store = account_store(folder / "states", states=args.states)
        size = (store / "accounts/acc-1/items/00/300").stat().st_size
        print(f"{f'cat, item file of {args.states:,} states (shell)':52}"
              f"{shell(f'cat {store}/accounts/acc-1/items/00/300'):9.2f}")
        print(f"{f'item_states(), one item file of {size / 2**20:.0f} MiB':52}"
              f"{child('store:item_states', store, args.timeout)}", flush=True)


if __name__ == "__main__":
    main()
