"""The vendor's doCoherencyCheck, offline and detection only: is this backup path complete and sound?

Every blob file is decompressed (bounded, streaming) and hashed with its digest's algorithm, in
worker processes for large stores or on a Dask cluster; metadata problems come from the store's errors table; the
layout is checked for misplaced files and for the marks of a copy through a case-insensitive
filesystem. Nothing is fixed: the result is a findings table.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from typing import TYPE_CHECKING

import pandas as pd

from ..errors import ErrorRecord
from ..format import digest as vdigest
from ..format import layout
from ..runtime.shards import run_sharded
from ..store.account_archive import MEMBER_SEP
from ..store.backup import as_list, investigation
from .blobcheck import BlobResult, check_blobs

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
) -> pd.DataFrame:
    """Findings `kind, severity, account_id, item_id, digest, path, detail` (FINDING_KINDS).

    With `accounts`, only their metadata and the blobs they reference are checked; orphan and
    stray blobs need the whole store, so only a full audit reports them. With a dask.distributed
    `client` (default: the store's own, `open_backup(path, client=...)`), the blobs are verified on
    its cluster, whose workers see the backup path at the same path; the findings are the same.
    """
    ids = None if accounts is None else [store.resolve_account(a) for a in as_list(accounts)]
    states = store.item_states(ids)
    files = store.blob_files()  # the store's one listing of items/ (its problems go to store.errors)
    found = backup_wide(store) + account_folders(store, ids) + metadata_findings(store.errors, ids)
    refs = references(states)
    tasks, layout_found = blob_layout(list(files["digest"]), list(files["prefix"]), refs, full=ids is None)
    store.record_errors(layout_errors(layout_found), once=True)
    found += layout_found
    results = run_sharded(
        check_blobs, str(store.root), tasks, workers=workers if workers is not None else store.workers,
        parallel_min=PARALLEL_MIN_BLOBS, show=progress, desc="verifying blobs", unit="blob",
        limit=store.max_blob_size, client=client if client is not None else store.client,
    )  # fmt: skip
    verdicts = [ErrorRecord(rel, kind, detail).as_dict() for rel, _d, kind, detail, _s, _l in results if kind]
    store.record_errors(verdicts, once=True)
    found += blob_findings(results, refs, full=ids is None)
    found += hard_links(store, states, tasks)
    return assemble(found)


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


def references(states: pd.DataFrame) -> Refs:
    """digest -> the items whose states reference it, with the sizes their metadata claims."""
    used = states.loc[states["digest"].notna(), ["account_id", "item_id", "digest", "size"]]
    used = used.astype({"account_id": str, "digest": str}).drop_duplicates()
    sizes: dict[tuple[str, int, str], set] = defaultdict(set)
    for account_id, item_id, digest, size in zip(
        used["account_id"], used["item_id"], used["digest"], used["size"], strict=True
    ):
        sizes[(account_id, int(item_id), digest)].add(None if pd.isna(size) else int(size))
    refs: Refs = defaultdict(list)
    for (account_id, item_id, digest), claimed in sorted(sizes.items()):
        refs[digest].append((account_id, item_id, frozenset(claimed)))
    return refs


def blob_layout(names: list[str], prefixes: list[str], refs: Refs, full: bool) -> tuple[list, list[dict]]:
    """Which blob files to verify, and the layout findings: missing, misplaced, case, bad names."""
    tasks: list[tuple[str, str]] = []
    found: list[dict] = []
    canonical: set[str] = set()
    elsewhere: dict[str, list[str]] = defaultdict(list)
    for name, prefix in zip(names, prefixes, strict=True):
        rel = f"{layout.ITEMS_DIR}/{prefix}/{name}"
        if prefix == name[:2] and vdigest.is_digest(name):
            canonical.add(name)
            if full or name in refs:
                tasks.append((rel, name))
            continue
        if not (full or name in refs):
            continue
        elsewhere[name].append(rel)
        if not vdigest.is_digest(name):
            found.append(finding("bad_name", rel, "a file under items/ whose name is not a blob digest"))
            continue
        tasks.append((rel, name))
        found += misplaced_blob(rel, name, prefix, refs.get(name, []))
    for digest, items in refs.items():
        if digest in canonical:
            continue
        rel = vdigest.blob_relpath(digest) if vdigest.is_digest(digest) else digest
        detail = f"no blob file at {rel}"
        if elsewhere.get(digest):
            detail += f"; a copy sits at {', '.join(elsewhere[digest])}"
        if not vdigest.is_digest(digest):
            detail = f"{digest!r} is not a blob digest"
        found += [finding("missing_blob", rel, detail, a, i, digest) for a, i, _sizes in items]
    return tasks, found


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


def blob_findings(results: list[BlobResult], refs: Refs, full: bool) -> list[dict]:
    """Verdicts of the verification as findings, one per referencing item (or one for an orphan)."""
    found: list[dict] = []
    for rel, digest, kind, detail, size, layers in sorted(results):
        canonical = rel == vdigest.blob_relpath(digest)
        items = refs.get(digest, []) if canonical else []
        if kind is not None:
            mapped = _BLOB_KINDS.get(kind, kind)
            text = f"{kind}: {detail}" if mapped == "unreadable_blob" else detail
            found += [finding(mapped, rel, text, a, i, digest) for a, i, _s in items] or [
                finding(mapped, rel, text, digest=digest)
            ]
            continue
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


def hard_links(store: BackupStore, states: pd.DataFrame, blob_tasks: list[tuple[str, str]]) -> list[dict]:
    """Item and blob files with more than one name (`st_nlink > 1`): a hard link, maybe to a file outside the
    backup path, whose content is read as this tree's evidence. One `lstat` per file (no read, no atime)."""
    files = states.loc[~states["source_path"].duplicated(), ["account_id", "item_id", "source_path"]]
    root = str(store.root).rstrip(os.sep) + os.sep
    candidates = [
        (path.removeprefix(root), str(a), int(i), None)
        for a, i, path in zip(files["account_id"], files["item_id"], files["source_path"].astype(object), strict=True)
        if isinstance(path, str) and path.startswith(root) and MEMBER_SEP not in path
    ]
    candidates += [(rel, None, None, digest) for rel, digest in blob_tasks]
    linked, names_inside = [], Counter()
    for rel, account_id, item_id, digest in candidates:
        try:
            info = os.lstat(root + rel)
        except OSError:  # gone or unreadable: the scan and the verification report it
            continue
        if info.st_nlink > 1:
            linked.append((rel, account_id, item_id, digest, info.st_nlink, (info.st_dev, info.st_ino)))
            names_inside[(info.st_dev, info.st_ino)] += 1
    found = []
    for rel, account_id, item_id, digest, nlink, inode in linked:
        inside = names_inside[inode]
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

