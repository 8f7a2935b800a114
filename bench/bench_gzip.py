"""Bounded decompression benchmark: the kit's gunzip against plain `zlib` and `gzip -dc`, same run.

    python bench/bench_gzip.py              # stored gzip of 64, 128, 256 MiB, and the hostile blobs
    python bench/bench_gzip.py --sizes 64   # one size

A stored (level 0) gzip is the worst case for a bounded decompressor that copies its unconsumed
input at every step (quadratic); each figure is a child process (a hang is killed at --timeout),
with its peak RSS. The hostile blobs: 4 nested gzip layers of ~500 MiB in a ~600 KB file, a blob
gzipped 10 times, and a self-reproducing gzip (a quine), each through `decompress_blob` (read_blob,
extract) and `verify_stream` (audit): their verdicts must agree.
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from hostile_blobs import write_hostile_blobs  # noqa: E402

CHILD = r"""
import json, resource, sys, time, zlib
from zxforensics.evidence import blobgzip
from zxforensics.format import digest as vdigest
path, how, digest = sys.argv[1], sys.argv[2], sys.argv[3] or None
data = open(path, "rb").read()
limit = blobgzip.DEFAULT_MAX_BLOB_SIZE
start = time.perf_counter()
verdict = "ok"
try:
    if how == "zlib":
        size = len(zlib.decompress(data, 31))
    elif how == "gunzip":
        size = len(blobgzip.gunzip_bounded(data, limit))
    elif how == "decompress_blob":
        raw, layers = blobgzip.decompress_blob(data, limit, digest)
        size = len(raw)
        if digest and not vdigest.verify(digest, raw):
            verdict = "digest_mismatch"
        verdict += f" ({layers} layers)"
    else:
        chunks = (data[i : i + (1 << 20)] for i in range(0, len(data), 1 << 20))
        size, layers = blobgzip.verify_stream(chunks, digest, limit)
        verdict += f" ({layers} layers)"
except Exception as exc:
    size, verdict = None, f"{type(exc).__name__}: {getattr(exc, 'kind', '')} {str(exc)[:70]}"
elapsed = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "size": size, "verdict": verdict, "rss_mib": rss}))
"""


def child(path: Path, how: str, digest: str = "", timeout: float = 120) -> dict:
    try:
        out = subprocess.run([sys.executable, "-c", CHILD, str(path), how, digest], check=True,
                             capture_output=True, text=True, timeout=timeout).stdout
    except subprocess.TimeoutExpired:
        return {"seconds": None, "verdict": f"killed after {timeout:.0f} s", "rss_mib": None}
    return json.loads(out.strip().splitlines()[-1])


def shell_gzip(path: Path) -> float:
    started = time.perf_counter()
    subprocess.run(f"gzip -dc '{path}' > /dev/null", shell=True, check=True)
    return time.perf_counter() - started


def stored_gzip(path: Path, mib: int) -> None:
    """A stored (uncompressed) gzip of `mib` MiB, written in pieces (no giant buffer)."""
    import zlib

    block = os.urandom(1 << 20)  # incompressible: the stored blocks hold it as it is
    deflater = zlib.compressobj(0, zlib.DEFLATED, 31)
    with open(path, "wb") as out:
        for _ in range(mib):
            out.write(deflater.compress(block))
        out.write(deflater.flush())


def raw_digest(path: Path) -> str:
    """The blob digest of a gzip file's content, streamed (the parent stays small: see hostile_blobs)."""
    import base64
    import hashlib
    import zlib

    hasher, inflater = hashlib.sha256(), zlib.decompressobj(31)
    with open(path, "rb") as handle:
        while piece := handle.read(1 << 16):
            hasher.update(inflater.decompress(piece))
    return base64.b64encode(hasher.digest()).decode().replace("/", ",")


def line(name: str, result: dict) -> str:
    seconds = "-" if result.get("seconds") is None else f"{result['seconds']:.2f}"
    rss = "-" if result.get("rss_mib") is None else f"{result['rss_mib']:.0f}"
    return f"{name:44}{seconds:>9}{rss:>10}  {result.get('verdict', '')}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[64, 128, 256], help="MiB of stored gzip")
    parser.add_argument("--timeout", type=float, default=120, help="seconds before a run counts as hung")
    args = parser.parse_args()
    print(f"{'run':44}{'seconds':>9}{'RSS MiB':>10}  verdict")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for mib in args.sizes:
            path = folder / f"stored_{mib}.gz"
            stored_gzip(path, mib)
            print(f"{f'gzip -dc, stored {mib} MiB (shell)':44}{shell_gzip(path):9.2f}")
            for how in ("zlib", "gunzip", "verify_stream"):
                digest = raw_digest(path) if how == "verify_stream" else ""
                print(line(f"{how}, stored {mib} MiB", child(path, how, digest, args.timeout)), flush=True)
        for name, (path, digest) in write_hostile_blobs(folder).items():
            print(f"{f'gzip -dc, {name} ({path.stat().st_size:,} B, shell)':44}{shell_gzip(path):9.2f}")
            for how in ("decompress_blob", "verify_stream"):
                print(line(f"{how}, {name}", child(path, how, digest, args.timeout)), flush=True)


if __name__ == "__main__":
    main()
