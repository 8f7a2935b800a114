"""The vendor's doCoherencyCheck, offline and detection only: is this backup path complete and sound?

Every blob file is decompressed (bounded, streaming) and hashed with its digest's algorithm, in
worker processes for large stores or on a Dask cluster; metadata problems come from the store's errors table; the
layout is checked for misplaced files and for the marks of a copy through a case-insensitive
filesystem. Nothing is fixed: the result is a findings table.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import ErrorRecord
from ..format import digest as vdigest
from ..format import layout
from ..runtime.shards import bounded_runs, run_sharded
from ..store.account_archive import MEMBER_SEP
from ..store.backup import as_list, investigation
from . import blob_groups
from .blob_groups import group_references
from .blobcheck import BlobResult, check_blobs
from .verified_blobs import VerifiedBlobs

if TYPE_CHECKING:
    from ..store.backup import BackupStore

FINDING_COLUMNS = ["kind", "severity", "account_id", "item_id", "digest", "path", "detail"]
# kind -> severity: `error` loses data, `warning` breaks the layout or wastes work, `info` wastes space.
SEVERITY = {
    "missing_blob": "error",
    "unreadable_blob": "error",
    "digest_mismatch": "error",
    "not_gzip": "error",
    "truncated_gzip": "error",
    "too_large": "error",
    "corrupt_metadata": "error",
    "unreadable_metadata": "error",
    "size_mismatch": "warning",
    "double_gzip": "warning",
    "misplaced_item": "warning",
    "misplaced_blob": "warning",
    "case_mismatch": "warning",
    "hard_link": "warning",
    "missing_lock": "warning",
    "missing_backupstat": "warning",
    "bad_name": "warning",
    "orphan_blob": "info",
}
FINDING_KINDS = tuple(SEVERITY)
SEVERITIES = ("error", "warning", "info")
# error kinds of the blob reader (FORMAT.md §9) -> finding kinds
_BLOB_KINDS = {"missing": "missing_blob", "link_outside": "unreadable_blob", "not_regular_file": "unreadable_blob",
               "unreadable": "unreadable_blob"}  # fmt: skip
PARALLEL_MIN_BLOBS = 2000  # below this, verifying here beats starting a pool
LINK_SLICE = 20_000  # item files turned into Python values at once by the hard-link check

Refs = dict[str, list[tuple[str, int, frozenset]]]  # digest -> (account_id, item_id, sizes the metadata claims)


def finding(kind: str, path: str, detail: str, account_id=None, item_id=None, digest=None) -> dict:
    return {"kind": kind, "severity": SEVERITY[kind], "account_id": account_id, "item_id": item_id,
            "digest": digest, "path": path, "detail": detail}  # fmt: skip


@investigation("audit")
def audit(
    store: BackupStore,
    accounts: list[str] | str | None = None,
    workers: int | None = None,
    progress: bool = True,
    client=None,
    verified: VerifiedBlobs | None = None,
) -> pd.DataFrame:
    """Findings `kind, severity, account_id, item_id, digest, path, detail` (FINDING_KINDS).

    With `accounts`, only their metadata and the blobs they reference are checked; orphan and
    stray blobs need the whole store, so only a full audit reports them. With a dask.distributed
    `client` (default: the store's own, `open_backup(path, client=...)`), the blobs are verified on
    its cluster, whose workers see the backup path at the same path; the findings are the same.
    `verified`: the blobs a pre-flight diagnosis of the same run has just read and verified
    (`preflight(store, verified=...)`); their verdicts are taken, and only the other files are read.

    The states are read a batch of accounts at a time (`store.state_batches`): what the audit holds
    is the listing of `items/` and its verdicts, one batch of states and the findings, never every state.
    """
    ids = None if accounts is None else [store.resolve_account(a) for a in as_list(accounts)]
    full = ids is None
    store.record_scan_errors(ids)  # the metadata findings come from them
    strays = Strays(store.blob_file_groups(vdigest.ALPHABET))  # the listing's own problems go to store.errors
    groups = ["".join(run) for run in bounded_runs(vdigest.ALPHABET, strays.files, blob_groups.GROUP_BLOBS)]
    found = backup_wide(store) + account_folders(store, ids) + metadata_findings(store.errors, ids)
    wanted = None if full else referenced_digests(store, ids)
    linked = HardLinks(str(store.root))
    for number, files in enumerate(store.blob_file_groups(groups)):
        refs = group_references(store, ids, groups, number)
        tasks, bad_names = files_to_verify(files, wanted)
        del files
        known = verified.results(tasks) if verified is not None else [None] * len(tasks)
        checked = iter(run_sharded(
            check_blobs, str(store.root), [task for task, verdict in zip(tasks, known, strict=True) if verdict is None],
            workers=workers if workers is not None else store.workers,
            parallel_min=PARALLEL_MIN_BLOBS, show=progress, unit="blob", limit=store.max_blob_size,
            desc="verifying blobs" if len(groups) == 1 else f"verifying blobs {number + 1}/{len(groups)}",
            client=client if client is not None else store.client,
        ))  # fmt: skip
        results = [verdict if verdict is not None else next(checked) for verdict in known]
        del known, checked
        verdicts = [ErrorRecord(rel, kind, detail).as_dict() for rel, _d, kind, detail, _s, _l in results if kind]
        group = Verified(results)
        del results
        layout_found = bad_names + strays.missing_and_misplaced(refs, group)
        found += layout_found + group.referenced_findings(refs, full) + group.unreferenced_findings(full)
        store.record_errors(layout_errors(layout_found), once=True)
        store.record_errors(verdicts, once=True)
        linked.check((rel, None, None, digest) for rel, digest in tasks)
        del tasks, refs, group
    found += strays.unreferenced_strays(wanted)
    for states in store.state_batches(ids):
        linked.check(item_files(store, states))
    return assemble(found + linked.findings())


def assemble(found: list[dict]) -> pd.DataFrame:
    """Finding records -> the findings frame, most severe first, in a stable order."""
    df = pd.DataFrame.from_records(found, columns=FINDING_COLUMNS)
    df["item_id"] = df["item_id"].astype("Int64")
    for column in ("account_id", "digest", "path", "detail"):
        df[column] = df[column].astype("string")
    df["kind"] = pd.Categorical(df["kind"], categories=FINDING_KINDS)
    df["severity"] = pd.Categorical(df["severity"], categories=SEVERITIES, ordered=True)
    df = df.drop_duplicates(ignore_index=True)
    order = ["severity", "kind", "account_id", "item_id", "path"]
    return df.sort_values(order, kind="stable", na_position="first", ignore_index=True)


def backup_wide(store: BackupStore) -> list[dict]:
    """The top-level marks of a backup path: a `lock_<serverId>` and `backupstat`."""
    found = []
    names = store.top_level()
    if not any(name.startswith("lock_") for name in names):
        found.append(finding("missing_lock", "lock_*", "no lock_<serverId>: no server owns this backup path"))
    if layout.BACKUPSTAT not in names:
        found.append(finding("missing_backupstat", layout.BACKUPSTAT, "no backupstat: statistics of the scans lost"))
    store.backupstat()  # an unreadable one becomes a row of store.errors
    return found


def account_folders(store: BackupStore, ids: list[str] | None) -> list[dict]:
    """Account folders that differ only in case, or whose name is not the zimbraId inside."""
    folders = [str(a) for a in store.accounts()["account_id"]]
    by_folded: dict[str, list[str]] = defaultdict(list)
    for folder in folders:
        by_folded[folder.lower()].append(folder)
    found = []
    for folder in folders:
        if ids is not None and folder not in ids:
            continue
        rel = f"{layout.ACCOUNTS_DIR}/{folder}"
        twins = [f for f in by_folded[folder.lower()] if f != folder]
        if twins:
            detail = f"{rel} and {', '.join(twins)} differ only in case: one account copied twice, or a merge"
            found.append(finding("case_mismatch", rel, detail, folder))
        zimbra_id = store.info_attribute(folder, "zimbraId")
        zimbra_id = zimbra_id[0] if isinstance(zimbra_id, list) and zimbra_id else zimbra_id
        if isinstance(zimbra_id, str) and zimbra_id != folder:
            kind = "case_mismatch" if zimbra_id.lower() == folder.lower() else "corrupt_metadata"
            found.append(finding(kind, rel, f"folder name differs from its account_info zimbraId {zimbra_id}", folder))
    return found


def metadata_findings(errors: pd.DataFrame, ids: list[str] | None) -> list[dict]:
    """The store's read errors on metadata (accounts/, backupstat) as findings."""
    paths = errors["path"].astype(str)
    keep = paths.str.startswith(layout.ACCOUNTS_DIR) | (paths == layout.BACKUPSTAT)
    if ids is None:  # the listing of items/: a file where a prefix folder belongs, an unreadable folder
        listing = paths.str.fullmatch(rf"{layout.ITEMS_DIR}(/[^/]*)?")
        keep |= listing
    if ids is not None:
        keep &= errors["account_id"].isin(ids)
    found = []
    for row in errors[keep].itertuples(index=False):
        if str(row.path).startswith(layout.ITEMS_DIR):
            kind = "misplaced_blob" if row.kind == "misplaced" else "unreadable_blob"
        elif row.kind == "misplaced":
            kind = "misplaced_item"
        elif row.kind in ("invalid_json", "invalid_metadata"):
            kind = "corrupt_metadata"
        elif row.kind == "bad_name":
            kind = "bad_name"
        else:
            kind = "unreadable_metadata"
        item_id = None if pd.isna(row.item_id) else int(row.item_id)
        account_id = None if pd.isna(row.account_id) else str(row.account_id)
        found.append(finding(kind, str(row.path), f"{row.kind}: {row.detail}", account_id, item_id))
    return found


def claims(refs: pd.DataFrame) -> Refs:
    """digest -> the items of `refs` that reference it, with the sizes their metadata claims (None: no size),
    items in (account, item) order and digests in order of first reference: a few rows, as Python records."""
    rows = pd.DataFrame({"account_id": refs["account_id"].astype(object), "item_id": refs["item_id"],
                         "digest": refs["digest"].astype(object), "size": refs["size"]})  # fmt: skip
    rows = rows.sort_values(["account_id", "item_id", "digest"], kind="stable")
    sizes: dict[tuple[str, int, str], set] = defaultdict(set)
    for account_id, item_id, digest, size in zip(
        rows["account_id"], rows["item_id"], rows["digest"], rows["size"], strict=True
    ):
        sizes[(str(account_id), int(item_id), str(digest))].add(None if pd.isna(size) else int(size))
    found: Refs = defaultdict(list)
    for (account_id, item_id, digest), claimed in sizes.items():
        found[digest].append((account_id, item_id, frozenset(claimed)))
    return found


class Verified:
    """The verdicts of the blob verification, as columns keyed by digest (the canonical files), and which
    of them some state referenced so far: a batch of references is checked against them at once."""

    def __init__(self, results: list[BlobResult]) -> None:
        canonical = [r for r in results if r[0] == vdigest.blob_relpath(r[1])]
        self.strays = [r for r in results if r[0] != vdigest.blob_relpath(r[1])]  # their verdicts, items aside
        self.frame = pd.DataFrame.from_records(canonical, columns=["rel", "digest", "kind", "detail", "size", "layers"])
        self.frame["size"] = self.frame["size"].astype("Int64")
        self.frame["layers"] = self.frame["layers"].astype("Int64")
        self.index = pd.Index(self.frame["digest"])
        self.referenced = np.zeros(len(self.frame), dtype=bool)
        self._looked_up: tuple[pd.Index, np.ndarray] | None = None  # categories -> their rows

    def positions(self, digests: pd.Series) -> np.ndarray:
        """Row of each digest's canonical verdict; -1 for a digest with no canonical file. A categorical
        column is looked up by its categories (the batches of one frame share theirs: looked up once)."""
        if not len(self.index):
            return np.full(len(digests), -1)
        if not isinstance(digests.dtype, pd.CategoricalDtype):
            return self.index.get_indexer(digests)
        categories = digests.cat.categories
        if self._looked_up is None or self._looked_up[0] is not categories:
            self._looked_up = (categories, self.index.get_indexer(categories))
        codes = digests.cat.codes.to_numpy()
        return np.where(codes >= 0, self._looked_up[1][codes], -1)

    def result(self, row: int) -> BlobResult:
        rel, digest, kind, detail, size, layers = self.frame.iloc[row]
        return (rel, digest, None if pd.isna(kind) else kind, detail, None if pd.isna(size) else int(size),
                None if pd.isna(layers) else int(layers))  # fmt: skip

    def referenced_findings(self, refs: pd.DataFrame, full: bool) -> list[dict]:
        """Findings of the verified blobs these references name: only the digests with a problem (a failed
        read, a double gzip, a size the metadata claims wrongly) become Python records."""
        at = self.positions(refs["digest"])
        found_at = at >= 0
        self.referenced[at[found_at]] = True
        rows = at[found_at]
        kind = self.frame["kind"].to_numpy(object)[rows]
        layers = self.frame["layers"].to_numpy("float64", na_value=np.nan)[rows]
        size = self.frame["size"].to_numpy("float64", na_value=np.nan)[rows]
        claimed = refs["size"].to_numpy("float64", na_value=np.nan)[found_at]
        bad = pd.notna(kind) | (layers > 1) | (~np.isnan(claimed) & (claimed != size))
        if not bad.any():
            return []
        problem = np.unique(at[found_at][bad])  # verdict rows of the digests with a problem
        subset = refs[np.isin(at, problem)]
        found: list[dict] = []
        for digest, items in claims(subset).items():
            found += verdict_findings(self.result(int(self.index.get_loc(digest))), items, full)
        return found

    def unreferenced_findings(self, full: bool) -> list[dict]:
        """Findings of the verified files no state referenced: a failed read, a double gzip, an orphan (a full
        audit), and the verdicts of blob files away from their canonical place."""
        found: list[dict] = []
        for row in np.flatnonzero(~self.referenced):
            found += verdict_findings(self.result(int(row)), [], full)
        for result in self.strays:
            found += verdict_findings(result, [], full)
        return found


class Strays:
    """The files of `items/` away from their canonical place (a blob under another prefix, a file whose name
    is no digest), from a first pass over the listing: few, and every group of digests needs them (a
    missing blob names its stray copy, a stray copy names the items that reference it)."""

    def __init__(self, listings: Iterable[pd.DataFrame]) -> None:
        """`listings`: the listing of items/ in 64 parts, one per character of the digest alphabet."""
        self.strays: list[tuple[str, str, str]] = []  # (rel, name, prefix)
        self.elsewhere: dict[str, list[str]] = defaultdict(list)  # name -> its stray files
        self.files: dict[str, int] = {}  # files per first character of their prefix folder: the groups' sizes
        for char, files in zip(vdigest.ALPHABET, listings, strict=True):
            self.files[char] = len(files)
            for name, prefix in zip(files["digest"].tolist(), files["prefix"].tolist(), strict=True):
                if not (prefix == name[:2] and vdigest.is_digest(name)):
                    rel = f"{layout.ITEMS_DIR}/{prefix}/{name}"
                    self.strays.append((rel, name, prefix))
                    self.elsewhere[name].append(rel)
        self._referenced: set[str] = set()  # strays whose name a state referenced (misplaced copies)

    def missing_and_misplaced(self, refs: pd.DataFrame, verified: Verified) -> list[dict]:
        """Findings of referenced digests: `missing_blob` for each referencing item of a digest with no
        file at its canonical place (naming a stray copy), and a stray copy's `misplaced_blob` or
        `case_mismatch`, once per referencing item."""
        found: list[dict] = []
        names = {name for _rel, name, _prefix in self.strays if vdigest.is_digest(name)}
        copies = claims(refs[refs["digest"].isin(names)]) if names else {}
        for rel, name, prefix in self.strays:
            if name in copies:
                found += misplaced_blob(rel, name, prefix, copies[name])
                self._referenced.add(rel)
        missing = refs[verified.positions(refs["digest"]) < 0]
        for digest, items in claims(missing).items():
            rel = vdigest.blob_relpath(digest) if vdigest.is_digest(digest) else digest
            detail = f"no blob file at {rel}"
            if self.elsewhere.get(digest):
                detail += f"; a copy sits at {', '.join(self.elsewhere[digest])}"
            if not vdigest.is_digest(digest):
                detail = f"{digest!r} is not a blob digest"
            found += [finding("missing_blob", rel, detail, a, i, digest) for a, i, _sizes in items]
        return found

    def unreferenced_strays(self, wanted: set[str] | None) -> list[dict]:
        """A stray blob no state references (a full audit): misplaced all the same, said to be unreferenced."""
        if wanted is not None:
            return []
        return [finding for rel, name, prefix in self.strays if rel not in self._referenced and vdigest.is_digest(name)
                for finding in misplaced_blob(rel, name, prefix, [])]  # fmt: skip


def files_to_verify(files: pd.DataFrame, wanted: set[str] | None) -> tuple[list[tuple[str, str]], list[dict]]:
    """The blob files of a listing to verify (every one, or those of the `wanted` digests), in listing order,
    and a `bad_name` finding for each file among them whose name is not a digest (it is not verified)."""
    tasks: list[tuple[str, str]] = []
    found: list[dict] = []
    for name, prefix in zip(files["digest"].tolist(), files["prefix"].tolist(), strict=True):  # not per element
        if wanted is not None and name not in wanted:
            continue
        rel = f"{layout.ITEMS_DIR}/{prefix}/{name}"
        if not vdigest.is_digest(name):
            found.append(finding("bad_name", rel, "a file under items/ whose name is not a blob digest"))
            continue
        tasks.append((rel, name))
    return tasks, found


def referenced_digests(store: BackupStore, ids: list[str]) -> set[str]:
    """The digests the states of some accounts reference: the blobs an audit of those accounts verifies."""
    wanted: set[str] = set()
    for states in store.state_batches(ids):
        wanted.update(states["digest"].dropna().astype(str))
    return wanted


def layout_errors(found: list[dict]) -> list[dict]:
    """The errors rows of the layout findings that are read failures: a referenced blob with no file
    (`missing`, or `bad_name` for a digest that is not one) and a file under items/ that is no blob (the
    listing already recorded the misplaced ones); one row per path, as a failed read_blob records it."""
    rows = {}
    for f in found:
        if f["kind"] == "missing_blob":
            bad = f["digest"] is not None and not vdigest.is_digest(f["digest"])
            rows[f["path"]] = ErrorRecord(f["path"], "bad_name" if bad else "missing", f["detail"]).as_dict()
        elif f["kind"] == "bad_name":
            rows[f["path"]] = ErrorRecord(f["path"], "bad_name", f["detail"]).as_dict()
    return list(rows.values())


def misplaced_blob(rel: str, name: str, prefix: str, items: list) -> list[dict]:
    """A blob under another prefix; one whose prefix differs only in case marks a case-insensitive copy."""
    belongs = vdigest.blob_relpath(name)
    if prefix.lower() == name[:2].lower():
        kind, detail = "case_mismatch", f"under items/{prefix}/, belongs in {belongs}: a case-insensitive copy"
    else:
        kind, detail = "misplaced_blob", f"under items/{prefix}/, belongs in {belongs}"
    if not items:
        return [finding(kind, rel, detail + " (no metadata references it)", digest=name)]
    return [finding(kind, rel, detail, a, i, name) for a, i, _sizes in items]


def verdict_findings(result: BlobResult, items: list, full: bool) -> list[dict]:
    """One blob's verification as findings, one per referencing item (`items`; none: one for the file):
    a failed read, a double gzip, sizes the metadata claims wrongly, or (a full audit) an orphan."""
    rel, digest, kind, detail, size, layers = result
    canonical = rel == vdigest.blob_relpath(digest)
    items = items if canonical else []
    found: list[dict] = []
    if kind is not None:
        mapped = _BLOB_KINDS.get(kind, kind)
        text = f"{kind}: {detail}" if mapped == "unreadable_blob" else detail
        return [finding(mapped, rel, text, a, i, digest) for a, i, _s in items] or [
            finding(mapped, rel, text, digest=digest)
        ]
    if layers and layers > 1:
        text = f"gzipped {layers} times (the vendor's fixDoubleGzip case); the content verifies"
        found += [finding("double_gzip", rel, text, a, i, digest) for a, i, _s in items] or [
            finding("double_gzip", rel, text, digest=digest)
        ]
    for account_id, item_id, claimed in items:
        wrong = sorted(s for s in claimed if s is not None and s != size)
        if wrong:
            text = f"metadata says {', '.join(map(str, wrong))} bytes, the blob holds {size}"
            found.append(finding("size_mismatch", rel, text, account_id, item_id, digest))
    if canonical and not items and full:
        found.append(finding("orphan_blob", rel, f"no metadata references it ({size} bytes)", digest=digest))
    return found


def item_files(store: BackupStore, states: pd.DataFrame) -> Iterator[tuple[str, str, int, None]]:
    """`(rel, account_id, item_id, None)` of each item file of these states inside the backup path
    (not a member of an account archive), one at a time: the candidates of HardLinks."""
    files = states.loc[~states["source_path"].duplicated(), ["account_id", "item_id", "source_path"]]
    root = str(store.root).rstrip(os.sep) + os.sep
    for start in range(0, len(files), LINK_SLICE):  # a categorical column iterates as one list of every value
        part = files.iloc[start : start + LINK_SLICE]
        for account_id, item_id, path in zip(part["account_id"].tolist(), part["item_id"].tolist(),
                                             part["source_path"].tolist(), strict=True):  # fmt: skip
            if isinstance(path, str) and path.startswith(root) and MEMBER_SEP not in path:
                yield path.removeprefix(root), str(account_id), int(item_id), None


class HardLinks:
    """Item and blob files with more than one name (`st_nlink > 1`): a hard link, maybe to a file outside the
    backup path, whose content is read as this tree's evidence. One `lstat` per file (no read, no atime);
    only the linked files are kept, so the check runs a batch of files at a time."""

    def __init__(self, root: str) -> None:
        self.root = root.rstrip(os.sep) + os.sep
        self.linked: list[tuple] = []
        self.names_inside: Counter = Counter()

    def check(self, candidates: Iterable[tuple[str, str | None, int | None, str | None]]) -> None:
        """lstat each `(rel, account_id, item_id, digest)`; keep those with more than one name."""
        for rel, account_id, item_id, digest in candidates:
            try:
                info = os.lstat(self.root + rel)
            except OSError:  # gone or unreadable: the scan and the verification report it
                continue
            if info.st_nlink > 1:
                self.linked.append((rel, account_id, item_id, digest, info.st_nlink, (info.st_dev, info.st_ino)))
                self.names_inside[(info.st_dev, info.st_ino)] += 1

    def findings(self) -> list[dict]:
        found = []
        for rel, account_id, item_id, digest, nlink, inode in self.linked:
            inside = self.names_inside[inode]
            where = "all of them item or blob files here" if inside >= nlink else (
                f"{nlink - inside} of them elsewhere, maybe outside the backup path")
            detail = f"a hard link: {nlink} names for this file, {where}"
            found.append(finding("hard_link", rel, detail, account_id, item_id, digest))
        return found


def counts(findings: pd.DataFrame) -> pd.DataFrame:
    """`severity, kind, findings`: how many of each kind (kinds with none are left out)."""
    table = findings.groupby(["severity", "kind"], observed=True).size().reset_index(name="findings")
    return table[table["findings"] > 0].reset_index(drop=True)


def by_kind(findings: pd.DataFrame) -> pd.DataFrame:
    """`kind, <severity>..., total`: findings per kind (most first) and severity (worst first)."""
    table = pd.crosstab(findings["kind"].astype(str), findings["severity"].astype(str))
    table = table[[s for s in SEVERITIES if s in table.columns]]
    table["total"] = table.sum(axis=1)
    return table.sort_values("total", ascending=False).reset_index().rename_axis(columns=None)


def with_account_names(store: BackupStore, findings: pd.DataFrame) -> pd.DataFrame:
    """`account` (the mail address; None for a backup-wide finding) inserted before `account_id`."""
    names = [store.account_name(a) if isinstance(a, str) else None for a in findings["account_id"]]
    out = findings.copy()
    out.insert(out.columns.get_loc("account_id"), "account", names)
    return out

