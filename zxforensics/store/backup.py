"""BackupStore: the read-only object that owns every access to one backup path.

It scans through `scan` (pure shard functions) and assembles frames through `frames`;
the vendor's query verbs (getItem, doItemSearch, getAccountInfo) live in `queries`.
"""

from __future__ import annotations

import os
from functools import cached_property, partial
from pathlib import Path

import pandas as pd

from ..errors import ErrorRecord, EvidenceError, NotABackupPath, NotFound
from ..evidence.blobgzip import DEFAULT_MAX_BLOB_SIZE, decompress_blob
from ..evidence.files import DEFAULT_MAX_FILE_SIZE, Evidence
from ..format import digest as vdigest
from ..format import layout
from ..format.dates import default_tz_name, get_tz
from ..format.keys import get_folded
from ..investigate import queries
from ..parse import ParseError
from ..parse.items import load_json
from ..runtime.pool import map_shards
from ..runtime.progress import progress_bar
from . import frames, scan
from .states import select_states

PARALLEL_MIN_ACCOUNTS = 16  # below this a process pool costs more than it saves


def resolve_backup_path(path: str | os.PathLike) -> Path:
    """The backup path itself, or the vendor default root (`ng/`, `zextras/`) inside `path`."""
    candidate = Path(os.path.abspath(Path(path).expanduser()))
    if not candidate.is_dir():
        raise NotABackupPath(f"{candidate}: no such folder (expected a Zextras backup path)")

    def looks_like_backup(folder: Path) -> bool:
        return any((folder / marker).exists() for marker in layout.MARKERS)

    if looks_like_backup(candidate):
        return candidate
    for name in layout.DEFAULT_ROOT_NAMES:
        if looks_like_backup(candidate / name):
            return candidate / name
    looked = ", ".join(f"{m}/" if m != "backupstat" else m for m in layout.MARKERS)
    roots = " or ".join(f"{name}/" for name in layout.DEFAULT_ROOT_NAMES)
    raise NotABackupPath(
        f"{candidate} is not a Zextras backup path: found none of {looked} in it, nor a {roots} folder holding them"
    )


class BackupStore:
    """Read-only view of a Zextras backup path as DataFrames; nothing in it is ever written."""

    def __init__(
        self,
        path: str | os.PathLike,
        tz: str | None = None,
        max_blob_size: int = DEFAULT_MAX_BLOB_SIZE,
        max_file_size: int = DEFAULT_MAX_FILE_SIZE,
        workers: int | None = None,
    ) -> None:
        self.root = resolve_backup_path(path)
        self.evidence = Evidence(self.root, max_file_size)
        self.max_blob_size = max_blob_size
        self.workers = workers if workers is not None else (os.cpu_count() or 1)
        self._error_records: list[dict] = []
        self._states: pd.DataFrame | None = None
        self._scanned: set[str] = set()
        self._item_counts: dict[str, int] = {}
        self._blob_failures: dict[str, EvidenceError] = {}  # a bad blob is decompressed once, not per read
        # The server's zone: given, else $ZXFORENSICS_TZ, else declared by the backup, else UTC.
        self.tz = tz or default_tz_name() or get_folded(self.backupstat(), "timezone") or "UTC"
        get_tz(self.tz)

    def __repr__(self) -> str:
        return f"BackupStore({str(self.root)!r}, tz={self.tz!r})"

    # -- errors ---------------------------------------------------------------------------
    def _record(self, records: list[dict]) -> None:
        self._error_records.extend(records)

    def _record_error(self, exc: EvidenceError | ParseError, path: str, account_id=None, item_id=None) -> None:
        """Add an exception that an investigation caught to the errors table (it goes on)."""
        self._error_records.append(ErrorRecord(path, exc.kind, exc.detail, account_id, item_id).as_dict())

    @property
    def errors(self) -> pd.DataFrame:
        """Everything that could not be read so far: `path, account_id, item_id, kind, detail`."""
        return frames.assemble_errors(self._error_records)

    # -- backup-wide ----------------------------------------------------------------------
    def backupstat(self) -> dict:
        """The `backupstat` object (empty when absent or unreadable, with an errors row)."""
        try:
            doc = load_json(self.evidence.read(layout.BACKUPSTAT))
        except (EvidenceError, ParseError) as exc:
            if getattr(exc, "kind", "") != "missing":
                self._record_error(exc, layout.BACKUPSTAT)
            return {}
        return doc if isinstance(doc, dict) else {}

    @cached_property
    def _account_ids(self) -> list[str]:
        ids, errors = scan.list_account_ids(self.evidence)
        self._record(errors)
        return ids

    @cached_property
    def _accounts(self) -> pd.DataFrame:
        """Account headers (account_info, account_stat); item counts are filled by accounts()."""
        rows, errors = scan.scan_headers(str(self.root), self._account_ids)
        self._record(errors)
        from .server import apply_backup_disabled

        return apply_backup_disabled(self, frames.assemble_accounts(rows))

    def accounts(self, extra: bool = False) -> pd.DataFrame:
        """One row per account; `extra=True` adds every other account_info attribute as a column."""
        df = self._accounts.drop(columns="info")
        missing = [a for a in df["account_id"] if a not in self._item_counts]
        if missing:  # a listing of the item folders: no item file is opened
            counts, errors = scan.count_items(str(self.root), missing)
            self._record(errors)
            self._item_counts.update(counts)
        df["item_count"] = df["account_id"].map(self._item_counts).astype("int64")
        if not extra:
            return df
        attrs = pd.DataFrame.from_records(list(self._accounts["info"])).add_prefix("attr_")
        return pd.concat([df, attrs], axis=1)

    def resolve_account(self, account: str) -> str:
        """The zimbraId of an account given by zimbraId, mail address or alias (case-insensitive)."""
        found = self._lookup.get(str(account).strip().lower())
        if found is None:
            raise NotFound(f"account {account} not found in {self.root}")
        return found

    @cached_property
    def _lookup(self) -> dict[str, str]:
        """Lower-cased aliases, mail addresses and ids -> id (an id wins over a name, a name over an alias)."""
        df = self._accounts
        lookup: dict[str, str] = {}
        rows = list(zip(df["account_id"].astype(str), df["name"], df["aliases"], strict=True))
        for account_id, _name, aliases in rows:
            lookup.update({alias.lower(): account_id for alias in aliases})
        lookup.update({name.lower(): account_id for account_id, name, _aliases in rows if isinstance(name, str)})
        lookup.update({account_id.lower(): account_id for account_id, _name, _aliases in rows})
        return lookup

    def account_name(self, account_id: str) -> str:
        """The mail address of an account id (the id itself when account_info has none)."""
        return self._names.get(account_id) or account_id

    @cached_property
    def _names(self) -> dict[str, str]:
        df = self._accounts
        pairs = zip(df["account_id"], df["name"], strict=True)
        return {str(a): (n if isinstance(n, str) else str(a)) for a, n in pairs}

    # -- item states ----------------------------------------------------------------------
    def _scan(self, account_ids: list[str]) -> None:
        todo = [a for a in account_ids if a not in self._scanned]
        if not todo:
            return
        shard_scan = partial(scan.scan_shard, str(self.root), max_file_size=self.evidence.max_file_size)
        ordered = sorted(todo)  # shards contiguous and in order: their concatenation needs no sort
        if self.workers > 1 and len(todo) >= PARALLEL_MIN_ACCOUNTS:
            count = self.workers * 4
            shards = [ordered[i * len(ordered) // count : (i + 1) * len(ordered) // count] for i in range(count)]
            with progress_bar(len(todo), "scanning accounts", "account") as bar:
                results = map_shards(shard_scan, [s for s in shards if s], self.workers, lambda s: bar.update(len(s)))
        else:  # one shard, one thread pool for its reads
            results = [shard_scan(ordered)]
        real_paths: dict = {}
        tables = []
        for result in results:
            self._record(result.errors)
            real_paths.update(result.real_paths)
            self._item_counts.update({row["account_id"]: row["item_count"] for row in result.accounts})
            tables.append(result.states)
            result.states = None  # the frame's assembly frees each Arrow column as it converts it
        del results
        df = frames.assemble_states(tables, self._names, str(self.root), real_paths)
        self._scanned.update(todo)
        self._states = df if self._states is None else self._merge_states(df)

    def _merge_states(self, new: pd.DataFrame) -> pd.DataFrame:
        both = pd.concat([self._states, new], ignore_index=True)
        for column in frames.CATEGORICAL_STATE_COLUMNS:  # concat of differing categories gives objects
            both[column] = both[column].astype("category")
        return both.sort_values(list(scan.SORT_KEY), kind="stable", ignore_index=True)

    def item_states(self, accounts: list[str] | str | None = None) -> pd.DataFrame:
        """One row per state of every item (or of some accounts), dates in UTC."""
        ids = self._account_ids if accounts is None else [self.resolve_account(a) for a in _as_list(accounts)]
        self._scan(ids)
        df = self._states
        if df is None:  # nothing scanned: no account, or an empty selection
            df = frames.assemble_states([scan.STATE_SCHEMA.empty_table()], {}, str(self.root))
        if accounts is None:
            return _detached(df)
        return df[df["account_id"].isin(ids)].reset_index(drop=True)

    def items(self, date: object = "last", accounts: list[str] | str | None = None) -> pd.DataFrame:
        """The state of each item at `last`, `all`, or an instant (vendor semantics, FORMAT.md §4)."""
        return select_states(self.item_states(accounts), date, self.tz).reset_index(drop=True)

    # -- blobs ----------------------------------------------------------------------------
    @cached_property
    def _blob_files(self) -> pd.DataFrame:
        """The listing of `items/`, taken once per store (summary, audit, retention all need it)."""
        table, errors = scan.scan_blobs(str(self.root))
        self._record(errors)
        return frames.to_pandas(table) if table.num_rows else pd.DataFrame(columns=frames.BLOB_COLUMNS)

    def blobs(self) -> pd.DataFrame:
        """Every blob file: `digest, prefix, path, compressed_size, referenced, misplaced`."""
        df = self._blob_files.copy()
        used = set(self.item_states()["digest"].dropna().unique())
        df["referenced"] = df["digest"].isin(used) & ~df["misplaced"].astype(bool)
        df["misplaced"] = df["misplaced"].astype(bool)
        return df[frames.BLOB_COLUMNS]

    def read_blob(self, digest: str) -> bytes:
        """The verified raw (uncompressed) bytes of a blob, from its canonical path only."""
        raw, _layers = self.read_blob_checked(digest)
        return raw

    def read_blob_checked(self, digest: str) -> tuple[bytes, int]:
        """Raw bytes and the number of gzip layers; raises EvidenceError with the kit's kind."""
        if not vdigest.is_digest(digest):
            raise EvidenceError("bad_name", f"{digest!r} is not a blob digest", digest)
        if digest in self._blob_failures:
            raise self._blob_failures[digest]
        rel = vdigest.blob_relpath(digest)
        try:
            data = self.evidence.read(rel, limit=self.max_blob_size)
            raw, layers = decompress_blob(data, self.max_blob_size, digest, rel)
            if not vdigest.verify(digest, raw):
                algo = vdigest.hash_name(digest)
                actual = vdigest.digest_of(raw, algo)
                raise EvidenceError("digest_mismatch", f"content {algo} is {actual}, not the file name", rel)
        except EvidenceError as exc:
            self._blob_failures[digest] = exc
            raise
        return raw, layers

    # -- the vendor's verbs ---------------------------------------------------------------
    def account_info(self, account: str, date: str = "most_recent") -> pd.DataFrame:
        """getAccountInfo: the account's attributes as `attribute, value` rows."""
        return queries.account_info(self, account, date)

    def get_item(self, account: str, item_id: int, date: object = "all") -> pd.DataFrame:
        """getItem: the states of one item (`date` as in items())."""
        return queries.get_item(self, account, item_id, date)

    def search_items(self, account: str, text=None, type=None, before=None, after=None, filter="deleted"):
        """doItemSearch: items of an account matching text, type and dates (`filter` deleted|all)."""
        return queries.search_items(self, account, text, type, before, after, filter)

    def extract(self, account: str, item_id: int, out_dir: str | os.PathLike, date: object = "last"):
        """Write an item's blob as `.eml`, byte-exact and verified, with its manifest row."""
        from ..investigate.extract import extract_item

        return extract_item(self, account, item_id, out_dir, date)

    # -- server configuration (zxforensics.serverconf) -----------------------------------
    def server_archives(self) -> pd.DataFrame:
        """Every `server/` archive: `component, date, path, size, members`."""
        from .server import server_archives

        return server_archives(self)

    def server_config(self, kind: str = "standard", date: object = "last", query: str = "/") -> pd.DataFrame:
        """getServerConfig offline: `date, section, id, key, value` (or archive members for customizations)."""
        from .server import server_config

        return server_config(self, kind, date, query)

    def ldap(self, date: object = "last") -> dict[str, pd.DataFrame]:
        """The LDIF dump as frames of accounts, COS, domains and distribution lists."""
        from .server import ldap

        return ldap(self, date)

    # -- audits (zxforensics.investigate) -------------------------------------------------
    def audit(self, accounts: list[str] | str | None = None, **options) -> pd.DataFrame:
        """doCoherencyCheck offline, detection only: `kind, severity, account_id, item_id, digest, path, detail`."""
        from ..investigate.coherency import audit

        return audit(self, accounts, **options)

    def retention(self, data_retention_days: int = 30, account_retention_days: int = 30, at: object = None):
        """What a purge at `at` would remove, and the blob bytes it would free."""
        from ..investigate.retention import retention

        return retention(self, data_retention_days, account_retention_days, at)

    def shares(self) -> pd.DataFrame:
        """doCheckShares offline: one row per grant and per mountpoint, with a `status`."""
        from ..investigate.shares import shares

        return shares(self)

    def info_attribute(self, account_id: str, name: str):
        """One account_info attribute of an account, by case-insensitive name (None when absent)."""
        info = self._accounts.set_index("account_id")["info"].get(account_id, {})
        return get_folded(info, name.lower())


# pandas 3 is copy-on-write: a shallow copy already protects the cache from a caller's edits,
# so a million-state frame is not duplicated on every call (it was +300 MiB at the peak).
_COPY_ON_WRITE = int(pd.__version__.split(".")[0]) >= 3 or bool(pd.get_option("mode.copy_on_write"))


def _detached(df: pd.DataFrame) -> pd.DataFrame:
    """A frame the caller may change without touching the store's cache."""
    return df.copy(deep=not _COPY_ON_WRITE)


def _as_list(accounts: list[str] | str) -> list[str]:
    if isinstance(accounts, str):
        return [a.strip() for a in accounts.split(",") if a.strip()]
    return list(accounts)


def open_backup(path: str | os.PathLike, tz: str | None = None, **options) -> BackupStore:
    """Open a backup path read-only: `zx.open_backup("/mnt/import")`."""
    return BackupStore(path, tz=tz, **options)
