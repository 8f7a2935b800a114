"""Verify an offsite copy of a backup path (the seed's rsync advice), without trusting sizes.

Both trees are walked and read through `Evidence` (read-only, no atime change); every regular
file on either side is hashed (SHA-256, in worker processes for large trees), links are compared
as links. Whether the copy's filesystem is case sensitive is found by looking (two names that
differ only in case, or the other-case spelling of a name resolving to the same file), never by
writing into either tree.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from ..errors import EvidenceError
from ..evidence.files import Evidence
from ..runtime.shards import run_sharded

COPY_COLUMNS = ["path", "status", "original_kind", "copy_kind", "original_size", "copy_size",
                "original_sha256", "copy_sha256", "detail"]  # fmt: skip
STATUSES = ("ok", "missing", "extra", "size_differs", "content_differs", "type_differs", "link_differs",
            "unreadable")  # fmt: skip
STAT_COLUMNS = ["path", "status", "original_size", "copy_size", "original_mtime", "copy_mtime"]
PARALLEL_MIN_FILES = 4000
LOOK_IN = ("", "items", "accounts", "server")  # folders whose names tell a case-insensitive copy


def hash_files(root: str, rels: Sequence[str]) -> list[tuple[str, str | None, str]]:
    """Worker: `(relative path, sha256 hex or None, error)` of regular files of the tree at `root`."""
    ev = Evidence(root)
    out = []
    for rel in rels:
        digest = hashlib.sha256()
        try:
            for chunk in ev.iter_chunks(rel, limit=sys.maxsize):
                digest.update(chunk)
        except EvidenceError as exc:
            out.append((rel, None, f"{exc.kind}: {exc.detail}"))
            continue
        out.append((rel, digest.hexdigest(), ""))
    return out


def listing(ev: Evidence) -> dict[str, tuple[str, int | None, str | None, int]]:
    """rel -> (kind `file`/`link`/`other`, size, link target, mtime in whole seconds) of every non-folder entry."""
    entries = {}
    for rel, entry in ev.walk_files():
        info = entry.stat(follow_symlinks=False)
        mtime = int(info.st_mtime)
        if stat.S_ISLNK(info.st_mode):
            try:
                entries[rel] = ("link", None, ev.readlink(rel), mtime)
            except EvidenceError as exc:
                entries[rel] = ("link", None, f"(unreadable link: {exc.detail})", mtime)
        elif stat.S_ISREG(info.st_mode):
            entries[rel] = ("file", info.st_size, None, mtime)
        else:
            entries[rel] = ("other", None, None, mtime)
    return entries


def compare_stat(original, copy) -> pd.DataFrame:
    """A copy checked by `stat` alone, fast enough for a monitoring check: `path, status, original_size,
    copy_size, original_mtime, copy_mtime` (mtimes in whole epoch seconds, as rsync compares them), one row
    per path that differs. `status`: missing, extra, size_differs, mtime_differs, type_differs, link_differs.

    Nothing is opened or hashed: a same-size rewrite with its mtime kept is for `compare_copies`."""
    from ..store.backup import BackupStore

    roots = [str(p.root if isinstance(p, BackupStore) else os.path.abspath(p)) for p in (original, copy)]
    left, right = (listing(Evidence(r)) for r in roots)
    rows = []
    for rel in sorted(left.keys() | right.keys()):
        a, b = left.get(rel), right.get(rel)
        if a is None:
            status = "extra"
        elif b is None:
            status = "missing"
        elif a[0] != b[0]:
            status = "type_differs"
        elif a[2] != b[2]:
            status = "link_differs"
        elif a[1] != b[1]:
            status = "size_differs"
        elif a[0] == "file" and a[3] != b[3]:
            status = "mtime_differs"
        else:
            continue
        rows.append((rel, status, a and a[1], b and b[1], a and a[3], b and b[3]))
    df = pd.DataFrame(rows, columns=STAT_COLUMNS)
    for column in STAT_COLUMNS[2:]:
        df[column] = df[column].astype("Int64")
    df.attrs["compared"] = len(left.keys() | right.keys())
    return df


def case_sensitivity(ev: Evidence) -> tuple[bool | None, str]:
    """Whether the filesystem of `ev` tells `a` from `A`, found by looking only."""
    probe = None
    for folder in LOOK_IN:
        try:
            names = [e.name for e in ev.scandir(folder)]
        except EvidenceError:
            continue
        folded = defaultdict(list)
        for name in names:
            folded[name.lower()].append(name)
        twins = next((v for v in folded.values() if len(v) > 1), None)
        if twins:
            where = f"{folder}/" if folder else "the top folder"
            return True, f"{' and '.join(twins[:2])} are two entries of {where}"
        probe = probe or next((f"{folder}/{n}".lstrip("/") for n in names if n.swapcase() != n), None)
    if probe is None:
        return None, "no name with letters to look at"
    head, _, name = probe.rpartition("/")
    other = f"{head}/{name.swapcase()}".lstrip("/")
    mine, theirs = ev.lstat(probe), ev.lstat(other)
    if theirs is None:
        return True, f"{other} does not resolve to {probe}"
    if mine is not None and os.path.samestat(mine, theirs):
        return False, f"{other} opens {probe}: names differing in case collide (blobs items/ab and items/AB merge)"
    return True, f"{other} and {probe} are different files"


def case_collisions(paths) -> list[list[str]]:
    """Files and folders of the original that a case-insensitive copy would merge (`items/ab`, `items/AB`)."""
    every = set(paths)
    for path in paths:
        parts = path.split("/")
        every.update("/".join(parts[:n]) for n in range(1, len(parts)))
    groups = defaultdict(list)
    for path in every:
        groups[path.lower()].append(path)
    return sorted(sorted(g) for g in groups.values() if len(g) > 1)


@dataclass
class CopyComparison:
    """`files`: one row per path of either tree (COPY_COLUMNS, `status` in STATUSES)."""

    original: str
    copy: str
    files: pd.DataFrame
    case_sensitive: bool | None
    case_detail: str
    collisions: list[list[str]]

    def differences(self) -> pd.DataFrame:
        return self.files[self.files["status"] != "ok"].reset_index(drop=True)

    def summary(self) -> pd.DataFrame:
        counts = self.files["status"].value_counts()
        sensitive = {True: "yes", False: "NO", None: "unknown"}[self.case_sensitive]
        rows = [("original", self.original), ("copy", self.copy), ("files compared", len(self.files)),
                *[(status, int(counts.get(status, 0))) for status in STATUSES],
                ("copy filesystem case sensitive", f"{sensitive} ({self.case_detail})"),
                ("names merged on a case-insensitive copy", sum(len(g) for g in self.collisions))]  # fmt: skip
        return pd.DataFrame(rows, columns=["metric", "value"]).astype({"value": "string"})


def _status(left, right, hashes) -> tuple[str, str]:
    if left is None:
        return "extra", "only in the copy (an rsync without --delete keeps what the original purged)"
    if right is None:
        return "missing", "not in the copy"
    if left[0] != right[0]:
        return "type_differs", f"a {left[0]} in the original, a {right[0]} in the copy"
    if left[0] == "link":
        return ("ok", "") if left[2] == right[2] else ("link_differs", f"-> {left[2]} vs -> {right[2]}")
    if left[0] != "file":
        return "ok", ""
    (h1, e1), (h2, e2) = hashes
    if e1 or e2:
        return "unreadable", "; ".join(e for e in (e1 and f"original {e1}", e2 and f"copy {e2}") if e)
    if left[1] != right[1]:
        return "size_differs", f"{left[1]} bytes vs {right[1]} bytes"
    if h1 != h2:
        return "content_differs", "same size, different content: only a hash sees it"
    return "ok", ""


def compare_copies(original, copy, workers: int | None = None, progress: bool = True) -> CopyComparison:
    """Compare a backup path with its copy, recursively (server archives and map files included)."""
    from ..store.backup import BackupStore

    roots = [str(p.root if isinstance(p, BackupStore) else os.path.abspath(p)) for p in (original, copy)]
    evs = [Evidence(r) for r in roots]
    trees = [listing(ev) for ev in evs]
    hashes: list[dict] = []
    for ev, tree, side in zip(evs, trees, ("original", "copy"), strict=True):
        files = sorted(rel for rel, (kind, *_rest) in tree.items() if kind == "file")
        done = run_sharded(hash_files, str(ev.root), files, workers=workers, parallel_min=PARALLEL_MIN_FILES,
                           show=progress, desc=f"hashing the {side}", unit="file")  # fmt: skip
        hashes.append({rel: (digest, error) for rel, digest, error in done})
    rows = []
    for rel in sorted(trees[0].keys() | trees[1].keys()):
        left, right = trees[0].get(rel), trees[1].get(rel)
        pair = [h.get(rel, (None, "")) for h in hashes]
        status, detail = _status(left, right, pair)
        rows.append((rel, status, left and left[0], right and right[0], left and left[1], right and right[1],
                     pair[0][0], pair[1][0], detail))  # fmt: skip
    df = pd.DataFrame(rows, columns=COPY_COLUMNS)
    df["status"] = pd.Categorical(df["status"], categories=STATUSES)
    for column in ("original_size", "copy_size"):
        df[column] = df[column].astype("Int64")
    sensitive, detail = case_sensitivity(evs[1])
    return CopyComparison(roots[0], roots[1], df, sensitive, detail, case_collisions(trees[0]))
