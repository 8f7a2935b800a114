"""BackupStore: the read-only object that owns every access to one backup path, and its caches.

It scans through `scan` (pure shard functions) and assembles frames through `frames`. Investigations
are functions over a store (`zx.audit(store)`); those that read well as methods (`store.audit()`,
`store.get_item(...)`) register themselves with `investigation`, so the store never imports them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property, partial
from pathlib import Path
from types import MethodType
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import BadDate, DataError, ErrorRecord, EvidenceError, NotABackupPath, NotFound, OutputError, ZxError
from ..evidence.blobgzip import DEFAULT_MAX_BLOB_SIZE
from ..evidence.blobs import read_verified_blob
from ..evidence.files import DEFAULT_MAX_FILE_SIZE, Evidence
from ..format import digest as vdigest
from ..format import layout
from ..format.dates import MAX_EPOCH_MS, default_tz_name, get_tz
from ..format.keys import get_folded
from ..parse.backupstat import parse_backupstat
from ..parse.maps import parse_id_mapper, parse_map
from ..runtime.memory import system_arrow_pool, trim_heap
from ..runtime.shards import bounded_runs, map_sharded
from . import frames, index_blobs, scan
from .account_archive import account_members
from .content_memo import ContentMemo
from .index import IndexDamaged, fingerprint_matches, fingerprints, head_fingerprint, open_index, warn_unavailable
from .index_build import PARALLEL_MIN_ACCOUNTS, dask_runner, local_runner, update
from .server import ServerArchives
from .states import select_states

if TYPE_CHECKING:
    import pyarrow as pa

SHARDS_PER_WORKER = 4  # account shards per scan worker
BATCH_STATES = 200_000  # states in one batch of state_batches (~60 MiB of frame): a whole-store question's unit

# name -> function(store, ...): the investigations offered as store methods (see `investigation`).
INVESTIGATIONS: dict[str, Callable] = {}


def investigation(name: str) -> Callable[[Callable], Callable]:
    """Offer `func(store, ...)` as `store.<name>(...)` too: a registry, as dissect.target's plugins,
    filled by the investigation modules when they are imported (`zxforensics.investigate` imports them)."""

    def register(func: Callable) -> Callable:
        INVESTIGATIONS[name] = func
        return func

    return register


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


def server_zone(given: str | None, declared: object = None) -> tuple[str, str | None]:
    """The kit's one time-zone policy: the zone given, else $ZXFORENSICS_TZ, else the one the backup
    declares (`backupstat`), else UTC. Returns the zone and, when the declared one is unknown, why it
    was passed over (a zone the user gives must be valid: BadDate)."""
    chosen = given or default_tz_name()
    if chosen:
        get_tz(chosen)
        return chosen, None
    if isinstance(declared, str) and declared:
        try:
            get_tz(declared)
            return declared, None
        except BadDate as exc:
            return "UTC", f"{exc}; dates are shown in UTC"
    return "UTC", None


def archive_file_zone(path: str | os.PathLike, given: str | None = None) -> str:
    """The zone of a server archive a user names (getServerConfig `file`): the one given, else
    $ZXFORENSICS_TZ, else the zone of the backup path holding it (`<backup>/server/<archive>`), else UTC."""
    if given or default_tz_name():
        return server_zone(given)[0]
    holder = Path(os.path.realpath(path)).parent.parent
    try:
        doc, _notes = parse_backupstat(Evidence(holder).read(layout.BACKUPSTAT))
    except DataError:
        return "UTC"
    return server_zone(None, get_folded(doc, "timezone"))[0]


class BackupStore:
    """Read-only view of a Zextras backup path as DataFrames; nothing in it is ever written."""

    def __init__(
        self,
        path: str | os.PathLike,
        tz: str | None = None,
        max_blob_size: int = DEFAULT_MAX_BLOB_SIZE,
        max_file_size: int = DEFAULT_MAX_FILE_SIZE,
        workers: int | None = None,
        index: object = False,
        client=None,
    ) -> None:
        """`index`: False scans in memory, None uses the default index folder, a path names one (see
        `open_backup`); `client`: a dask.distributed client whose workers build the index's missing parts
        and verify the blobs of `audit()` (every worker sees the backup path at the same path)."""
        self.root = resolve_backup_path(path)
        self.evidence = Evidence(self.root, max_file_size)
        self.max_blob_size = max_blob_size
        self.workers = workers if workers is not None else (os.cpu_count() or 1)
        self._tz_given = tz
        # The persistent index (store.index): None when turned off or unusable (`index_note` says why).
        self._index, self.index_note = (None, None) if index is False else open_index(self.root, index)
        if self.index_note:
            warn_unavailable(self.index_note)
        self._manifest = self._load_manifest() if self._index else None
        # where the heavy work runs: this machine's processes, or a Dask cluster's workers
        self.client = client
        self._runner = None
        if client is not None and self._index is not None:
            self._runner = dask_runner(client, str(self.root), str(self._index.folder), max_file_size)
        # accounts whose fingerprint was checked against the index -> whether fully (store.index)
        self._fresh: dict[str, bool] = {}
        self._memos: dict[tuple[str, str], ContentMemo] = {}  # content_memo's, kept across refreshes
        self.rescanned: list[str] = []  # what build_index rescanned
        self._reset()

    def _reset(self) -> None:
        """Every cache of the evidence dropped (a refresh): the next question reads again."""
        for name in ("_backupstat", "_top_level", "_account_ids", "_account_id_set", "_accounts", "_lookup", "_names",
                     "_blob_files", "_blob_folders"):
            self.__dict__.pop(name, None)
        tz = self._tz_given
        self._error_records: list[dict] = []
        self._error_keys: set[tuple[str, str]] = set()  # (path, kind) of every row, for `once`
        self._states: pd.DataFrame | None = None
        self._scanned: set[str] = set()  # accounts whose states are in self._states
        self._recorded: set[str] = set()  # accounts whose scan errors are in the errors table
        self._item_counts: dict[str, int] = {}
        self._blob_failures: dict[str, EvidenceError] = {}  # a bad blob is decompressed once, not per read
        self._memo: dict[str, object] = {}
        self.tz, refused = server_zone(tz, get_folded(self.backupstat(), "timezone"))
        if refused:
            self.record_errors([ErrorRecord(layout.BACKUPSTAT, "invalid_metadata", f"timeZone: {refused}").as_dict()])
        self.server = ServerArchives(self.evidence, self.tz, self.record_errors)

    def __repr__(self) -> str:
        return f"BackupStore({str(self.root)!r}, tz={self.tz!r})"

    # -- the persistent index -------------------------------------------------------------
    @property
    def index_dir(self) -> Path | None:
        """The index folder this store reads and keeps up to date; None without an index."""
        return self._index.folder if self._index else None

    def _load_manifest(self) -> dict:
        """The manifest on disk; a new, empty one (the index is rebuilt) when it is not trusted."""
        manifest = self._index.load()
        if self._index.problem:
            self.index_note = f"the index at {self._index.folder} was not trusted ({self._index.problem}): rebuilt"
        return manifest

    @contextmanager
    def _pinned(self, bring_up_to_date: Callable[[], None]) -> Iterator[None]:
        """The index brought up to date, then its parts held for reading (Index.reading: no commit removes
        one meanwhile). When another process committed in between, the parts this store's manifest lists may
        be gone: the manifest on disk is taken instead, its accounts checked afresh."""
        bring_up_to_date()
        with self._index.reading():
            if self._index.moved_on():
                self._manifest = self._load_manifest()
                self._fresh.clear()
                bring_up_to_date()
            yield

    def _index_runner(self):
        if self._runner is None:
            self._runner = local_runner(str(self.root), str(self._index.folder), self.evidence.max_file_size,
                                        self.workers)  # fmt: skip
        return self._runner

    def _ensure_indexed(self, account_ids: list[str], full: bool = True) -> list[str]:
        """Check the fingerprints of `account_ids` (once per store) and rescan into the index those that
        changed or are new; accounts gone from `accounts/` are dropped. Returns the ids rescanned or dropped.

        `full=False` is the quick check of whole-store questions (no item file's stat: see store.index)."""
        todo = [a for a in account_ids if a not in self._fresh or (full and not self._fresh[a])]
        if not todo:
            return []
        listed = set(self._account_ids)
        current: dict[str, dict] = {}

        def check(ids: list[str]) -> None:  # stat only, in worker processes on a large store
            need = [a for a in ids if a not in current]
            for part in map_sharded(partial(fingerprints, str(self.root), full=full), need, workers=self.workers,
                                    parallel_min=PARALLEL_MIN_ACCOUNTS * 4, desc="checking the index", unit="account"):
                current.update(part)  # fmt: skip

        def changes(manifest: dict) -> tuple[list[str], list[str]]:
            known = manifest["accounts"]
            check([a for a in todo if a in known])  # an account the index lacks is scanned: no check
            stale = [a for a in todo if a not in known or not fingerprint_matches(known[a]["fp"], current[a])]
            return stale, sorted(a for a in known if a not in listed)

        stale, removed = changes(self._manifest)
        if stale or removed:
            with self._index.locked():
                manifest = self._index.load()  # another process may have committed meanwhile
                stale, removed = changes(manifest)
                if stale or removed:
                    manifest = update(self._index, manifest, stale, removed, self._index_runner(), self.workers)
                self._manifest = manifest
        rescanned = set(stale)
        self._fresh.update({a: full or a in rescanned or self._fresh.get(a, False) for a in todo})
        return sorted({*stale, *removed})

    def _forget_index(self, why: str) -> None:
        """A part did not read as the manifest says: rebuild from nothing (never trust a damaged index)."""
        self.index_note = f"the index at {self._index.folder} was damaged ({why}): rebuilt"
        with self._index.locked():
            manifest = self._index.load()
            manifest["accounts"], manifest["parts"], manifest["blobs"] = {}, {}, {}
            self._index.commit(manifest)
            self._manifest = manifest
        self._fresh.clear()

    def refresh(self, full: bool = True) -> list[str]:
        """Rescan what changed since the index was written (or since this store read it): accounts whose
        fingerprint (stat only, every item file's included) differs, added or removed accounts and account
        archives. Returns their ids.

        `full=False` takes the quick fingerprint (folders, account_info, account_stat: no item file's stat),
        as a whole-store question does: it sees new, removed and renamed item files and a rescanned account,
        not an item file rewritten in place with nothing else touched. Every cache of this store is
        dropped. Without an index every account is read again: all are returned."""
        self._reset()
        if self._index is None:
            return sorted(self._account_ids)
        self._fresh.clear()
        return self._ensure_indexed(list(self._account_ids), full=full)

    def _blob_source(self) -> pd.DataFrame | list[str]:
        """What the `blobs` view reads: the index's parts of the listing (DuckDB reads them itself, no frame
        of every blob), its errors recorded as the listing records them; without them, the listing's frame."""
        if self._index is None or self._blob_folders is None:
            return self.blob_files()
        self._manifest, paths, errors, misplaced = index_blobs.listing_parts(
            self._index, self._manifest, self.evidence, self._blob_folders)  # fmt: skip
        self.record_errors(errors, once=True)
        self.record_errors([misplaced_blob_record(name, prefix) for name, prefix in misplaced], once=True)
        return paths

    def index_blob_listing(self) -> None:
        """Bring the index's listing of items/ up to date (a group of prefix folders at a time, never held
        whole), so a later question on the blobs walks no folder; nothing to do without an index."""
        if self._index is not None and self._blob_folders is not None:
            self._list_up_to_date(index_blobs.GROUP_KEYS)

    def _list_up_to_date(self, keys: Sequence[str]) -> None:
        """The index's listing of the groups `keys` as their folders are now (changed groups walked again)."""
        self._manifest = index_blobs.up_to_date(self._index, self._manifest, self.evidence, self._blob_folders, keys)

    def index_info(self) -> dict:
        """The index's folder, and the accounts, parts, states, blob files listed and bytes it holds."""
        if self._index is None:
            return {"index": None, "note": self.index_note}
        manifest = self._manifest
        listed = manifest.get("blobs", {}).values()
        return {"index": str(self._index.folder), "accounts": len(manifest["accounts"]),
                "parts": len(manifest["parts"]), "states": sum(p["rows"] for p in manifest["parts"].values()),
                "blob_files": sum(entry["rows"] for entry in listed),
                "bytes": sum(p["size"] for p in [*manifest["parts"].values(), *listed]),
                "note": self.index_note}  # fmt: skip

    def content_memo(self, kind: str, token: str) -> ContentMemo | None:
        """What earlier runs learned from blobs' content (`kind`, by code of version `token`), kept in the
        index folder (store.content_memo); None without an index. One memo per kind and token per store,
        so the diagnoses of one session share what they load and learn."""
        if self._index is None:
            return None
        if (kind, token) not in self._memos:
            self._memos[kind, token] = ContentMemo(self._index.out, self._index.locked, kind, token)
        return self._memos[kind, token]

    def index_parts(self) -> list[Path]:
        """The index's Parquet files of states (every account brought up to date by the quick check), for
        another engine: `dask.dataframe.read_parquet(store.index_parts())`. Its folder may also hold parts a
        refresh superseded and no commit has removed yet (a reader held them): listing the folder may
        count an account twice, this list never does."""
        if self._index is None:
            return []
        self._ensure_indexed(list(self._account_ids), full=False)
        return [self._index.part_path(part) for part in self._manifest["parts"]]

    def sql(self, query: str, tables: dict[str, object] | None = None) -> pd.DataFrame:
        """A DuckDB query over the index, as a DataFrame: views `states, last_states, accounts, blobs, errors,
        server_archives, real_paths` (store.sql documents their columns), and the frames or Arrow tables of
        `tables` under their names. The index is brought up to date first."""
        with self._pinned(partial(self._sql_ready, query)):
            con = self._sql_connection(query, tables)
            try:
                return con.execute(query).df()
            finally:
                con.close()

    def sql_batches(
        self, query: str, rows: int = 50_000, tables: dict[str, object] | None = None
    ) -> Iterator[pa.RecordBatch]:
        """`sql`, answered in Arrow record batches of at most `rows` rows: an answer as long as the store
        (every state, in order) is read a batch at a time, never held whole."""
        with self._pinned(partial(self._sql_ready, query)):  # held while the answer streams
            con = self._sql_connection(query, tables)
            try:
                relation = con.sql(query)  # a relation streams; a DB-API result would copy every row first
                # duckdb 2 names it to_arrow_reader; 1.x, fetch_arrow_reader (deprecated in 2)
                reader = getattr(relation, "to_arrow_reader", None) or relation.fetch_arrow_reader
                yield from reader(rows)
            finally:
                con.close()

    def _sql_ready(self, query: str) -> None:
        """The index brought up to date for `query`: every account (a whole-store answer meets the errors a
        scan would), and the listing of items/ when the query names `blobs`."""
        if self._index is None:
            raise ZxError(f"store.sql needs the index ({self.index_note or 'the store was opened with index=False'})")
        self.record_scan_errors()
        if _names_view("blobs", query):
            self._blob_source()

    def _sql_connection(self, query: str, tables: dict[str, object] | None):
        """A DuckDB connection over the index as it is (brought up to date by `_sql_ready`), with the views
        `query` needs."""
        from .sql import connect

        known = self._manifest["accounts"]
        accounts = self._accounts.drop(columns="info")
        accounts["item_count"] = accounts["account_id"].map(lambda a: known[a]["item_count"]).astype("int64")
        parts = [str(self._index.part_path(p)) for p in self._manifest["parts"]]
        # the listing of items/ and of server/ are read (and meet their errors) only for a query that names them
        blob_files = self._blob_source() if _names_view("blobs", query) else None
        archives = self.server_archives() if _names_view("server_archives", query) else None
        moved = [(a, int(item), f"{self.root}/{rel}") for a in sorted(known)
                 for item, rel in known[a]["real_paths"].items()]  # fmt: skip
        real_paths = pd.DataFrame(moved, columns=["account_id", "item_id", "source_path"]).astype(
            {"account_id": "string", "item_id": "int64", "source_path": "string"}
        )
        spill = self._index.out.make_folder("duckdb_tmp")
        return connect(parts, accounts, self.errors, blob_files, archives, str(spill), real_paths, tables,
                       str(self.root))  # fmt: skip

    def record_scan_errors(self, accounts: list[str] | str | None = None) -> None:
        """Record the scan errors of some accounts (all: None) as item_states(accounts) would, and in the
        same order, without holding their states when the store is indexed (the index is brought up to
        date first): an answer from DuckDB, or from states read a batch at a time (state_batches), meets
        every metadata problem first, as one from pandas does."""
        if self._index is None:
            self.item_states(accounts)  # in memory, the scan is the store's frame: it records them
            return
        named = accounts is not None
        ids = sorted(set(self._account_ids if not named else [self.resolve_account(a) for a in as_list(accounts)]))
        self._ensure_indexed(ids, full=named)  # as item_states: the whole store takes the quick check
        known = self._manifest["accounts"]
        for account_id in ids:
            if account_id not in self._recorded:
                self.record_errors(known[account_id]["header_errors"] + known[account_id]["errors"])
                self._recorded.add(account_id)

    def _index_headers(self) -> tuple[list[dict], list[dict]] | None:
        """Account rows and their errors from the index, when it holds every listed account with the same
        header fingerprint (a few stats per account); else None: the headers are read."""
        if self._index is None:
            return None
        known = self._manifest["accounts"]
        ids = self._account_ids
        if not all(a in known and known[a]["fp"]["head"] == head_fingerprint(self.evidence, a) for a in ids):
            return None
        rows = [dict(known[a]["header"], item_count=0) for a in ids]
        return rows, [e for a in ids for e in known[a]["header_errors"]]

    def __getattr__(self, name: str):
        """`store.audit(...)` and the other registered investigations, bound to this store."""
        func = None if name.startswith("_") else INVESTIGATIONS.get(name)
        if func is None:
            hint = "" if name.startswith("_") else " (investigations register when zxforensics.investigate is imported)"
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}{hint}")
        return MethodType(func, self)

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *INVESTIGATIONS})

    def memo(self, key: str, compute: Callable[[], object]) -> object:
        """A value computed once per store (an investigation's basis): the store owns every cache."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    # -- errors ---------------------------------------------------------------------------
    def record_errors(self, records: list[dict], once: bool = False) -> None:
        """Add rows to the errors table (ErrorRecord dicts): whoever met them, the scan goes on.

        `once`: a row whose path already has a row of its kind is left out (a blob read, then audited, is
        one problem whatever the words of each reader's detail)."""
        for record in records:
            key = (record["path"], record["kind"])
            if once and key in self._error_keys:
                continue
            self._error_keys.add(key)
            self._error_records.append(record)

    def record_error(self, exc: DataError, path: str | None = None, account_id=None, item_id=None,
                     once: bool = False) -> None:  # fmt: skip
        """Add a caught DataError (EvidenceError, ParseError) to the errors table."""
        self.record_errors([ErrorRecord.of(exc, path, account_id, item_id)], once)

    @property
    def errors(self) -> pd.DataFrame:
        """Everything that could not be read so far: `path, account_id, item_id, kind, detail`."""
        return frames.assemble_errors(self._error_records)

    # -- backup-wide ----------------------------------------------------------------------
    def backupstat(self) -> dict:
        """The `backupstat` object, range-checked (parse.backupstat): keys as written, dates in epoch ms;
        a field that does not read is left out with an errors row; empty when absent or unreadable."""
        return dict(self._backupstat)

    @cached_property
    def _backupstat(self) -> dict:
        try:
            doc, notes = parse_backupstat(self.evidence.read(layout.BACKUPSTAT))
        except DataError as exc:
            if exc.kind != "missing":
                self.record_error(exc, layout.BACKUPSTAT)
            return {}
        self.record_errors([ErrorRecord(layout.BACKUPSTAT, "invalid_metadata", note).as_dict() for note in notes])
        return doc

    def scan_dates(self) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        """`backupstat`'s first and last scan as UTC timestamps; None for never (0), absent or unreadable."""

        def moment(key: str) -> pd.Timestamp | None:
            value = get_folded(self._backupstat, key)
            if isinstance(value, int) and not isinstance(value, bool) and 0 < value < MAX_EPOCH_MS:
                return pd.Timestamp(value, unit="ms", tz="UTC")
            return None

        return moment("firstscan"), moment("lastscan")

    def last_scan(self) -> pd.Timestamp | None:
        """When the backup last scanned: `backupstat`'s lastScan, else the newest account scan, else None.

        "Now" for a backup is its last scan: a purge forecast or an age is measured from it, not from today."""
        last = self.scan_dates()[1]
        if last is not None:
            return last
        scans = self._accounts["last_scan"].dropna()
        return scans.max() if len(scans) else None

    @cached_property
    def _top_level(self) -> tuple[str, ...]:
        try:
            return tuple(entry.name for entry in self.evidence.scandir(""))
        except EvidenceError as exc:
            self.record_error(exc, "")
            return ()

    def top_level(self) -> tuple[str, ...]:
        """Names at the top of the backup path (`lock_*`, `map_*`, `backupstat`...), listed once."""
        return self._top_level

    def map_files(self) -> list[str]:
        """Relative paths of the `map_<sourceServerId>` import maps (FORMAT.md §7)."""
        return [name for name in self.top_level() if name.startswith("map_")]

    def import_maps(self) -> dict[str, pd.DataFrame]:
        """Every `map_<sourceServerId>` file, parsed as `source, destination`; an unreadable one is an errors row."""
        maps = {}
        for rel in self.map_files():
            try:
                maps[rel] = parse_map(self.evidence.read(rel))
            except DataError as exc:
                self.record_error(exc, rel)
        return maps

    def listing(self, rel: str) -> list[tuple[str, str]]:
        """`(name, type)` of a folder of the backup path, sorted by name; type is `file`, `folder`, `link`
        or `other` (a link is not followed). Raises EvidenceError (`missing`, `link_outside`...)."""
        return [(entry.name, entry_type(entry)) for entry in self.evidence.scandir(rel)]

    def account_archive(self, account_id: str) -> dict[str, bytes]:
        """Members of an S3-style account archive (`accounts/<id>.tar.gz`) by their name in the account
        folder (`account_info`, `items/57/2057`...); refusals and damage become errors rows."""
        errors: list[dict] = []
        members = account_members(self.evidence, account_id, errors)
        self.record_errors(errors)
        return members

    def read_file(self, rel: str, limit: int | None = None) -> bytes:
        """Bytes of one file of the backup path (read-only, bounded); raises EvidenceError, and records it."""
        try:
            return self.evidence.read(rel, limit)
        except EvidenceError as exc:
            self.record_error(exc, rel, once=True)
            raise

    def id_mapper(self, account: str) -> pd.DataFrame | None:
        """The account's `id_mapper.log` as `source_id, restored_id`; None when it has none.

        An unreadable one is an errors row (and None)."""
        account_id = self.resolve_account(account)
        rel = f"{layout.ACCOUNTS_DIR}/{account_id}/{layout.ID_MAPPER_LOG}"
        if not self.evidence.exists(rel):
            return None
        try:
            return parse_id_mapper(self.evidence.read(rel))
        except DataError as exc:
            self.record_error(exc, rel, account_id)
            return None

    # -- accounts -------------------------------------------------------------------------
    @cached_property
    def _account_ids(self) -> list[str]:
        ids, errors = scan.list_account_ids(self.evidence)
        self.record_errors(errors)
        return ids

    @cached_property
    def _account_id_set(self) -> frozenset[str]:
        return frozenset(self._account_ids)

    @cached_property
    def _accounts(self) -> pd.DataFrame:
        """Account headers (account_info, account_stat) with the COS-level backup disable of the LDAP
        dump; item counts are filled by accounts()."""
        rows, errors = self._index_headers() or scan.scan_headers(str(self.root), self._account_ids)
        self.record_errors(errors)
        accounts = frames.assemble_accounts(rows)
        disabled = self.server.backup_disabled(accounts)
        if disabled:
            values = [disabled.get(str(a), False) for a in accounts["account_id"]]
            accounts["backup_disabled"] = pd.array(values, dtype="boolean")
        return accounts

    def accounts(self, extra: bool = False, counts: bool = True) -> pd.DataFrame:
        """One row per account; `extra=True` adds every other account_info attribute as a column.

        `counts=False` leaves out `item_count`, which lists every account's item folders: a monitoring
        check or an account list reads the headers alone (on 2,000 accounts, 0.7 s instead of 15 s)."""
        df = self._accounts.drop(columns="info")
        if counts:
            self._count_items(list(df["account_id"]))
            df["item_count"] = df["account_id"].map(self._item_counts).astype("int64")
        else:
            df = df.drop(columns="item_count")
        if not extra:
            return df
        attrs = pd.DataFrame.from_records(list(self._accounts["info"])).add_prefix("attr_")
        return pd.concat([df, attrs], axis=1)

    def _count_items(self, account_ids: list[str]) -> None:
        missing = [a for a in account_ids if a not in self._item_counts]
        if missing and self._index is not None:  # an account the index holds: its count is there, once checked
            self._ensure_indexed([a for a in missing if a in self._manifest["accounts"]], full=False)
            known = self._manifest["accounts"]
            self._item_counts.update({a: known[a]["item_count"] for a in missing if a in self._fresh and a in known})
            missing = [a for a in missing if a not in self._item_counts]
        if missing:  # a listing of the item folders: no item file is opened
            counts, errors = scan.count_items(str(self.root), missing)
            self.record_errors(errors)
            self._item_counts.update(counts)

    def account_record(self, account: str) -> dict:
        """Everything the backup keeps of one account: its accounts() row, with `info` (account_info).
        Only this account's item folders are listed for its count."""
        account_id = self.resolve_account(account)
        row = self._accounts.set_index("account_id").loc[account_id].to_dict()
        row["account_id"] = account_id
        self._count_items([account_id])
        row["item_count"] = int(self._item_counts[account_id])
        return row

    def resolve_account(self, account: str) -> str:
        """The zimbraId of an account given by zimbraId, mail address or alias (case-insensitive)."""
        if account in self._account_id_set:  # an id as listed: no header of any account is needed
            return account
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

    def info_attribute(self, account_id: str, name: str):
        """One account_info attribute of an account, by case-insensitive name (None when absent)."""
        info = self._accounts.set_index("account_id")["info"].get(account_id, {})
        return get_folded(info, name.lower())

    # -- item states ----------------------------------------------------------------------
    def _scan(self, account_ids: list[str], full: bool = True) -> None:
        """States of some accounts into the store's frame (`full`: the index's full check, see store.index)."""
        todo = [a for a in account_ids if a not in self._scanned]
        if not todo:
            return
        df = self._read_states(sorted(todo), full)  # shards contiguous and in order: no sort to concatenate
        self._scanned.update(todo)
        self._states = df if self._states is None else frames.merge_states(self._states, df)

    def _read_states(self, ordered: list[str], full: bool = True) -> pd.DataFrame:
        """The states frame of some accounts (sorted ids), from the index or a scan; the store keeps nothing."""
        with system_arrow_pool():  # one allocator from the read to the frame: what one frees, the next reuses
            if self._index is not None:
                try:
                    tables, real_paths = self._read_indexed(ordered, full)
                except (OutputError, OSError) as exc:  # the index folder went bad (a link planted, disk full)
                    warn_unavailable(f"the index at {self._index.folder} cannot be written: {exc}")
                    self.index_note, self._index = str(exc), None
            if self._index is None:
                tables, real_paths = self._scan_in_memory(ordered)
            df = frames.assemble_states(tables, self._names, str(self.root), real_paths)
        trim_heap()  # once Arrow's own pool is back, what it kept goes back too (~16 MiB a million states)
        return df

    def _read_indexed(self, ordered: list[str], full: bool = True) -> tuple[list, dict]:
        """The states of some accounts from the index (rescanning into it those that changed), with the
        errors, counts and real paths their scan recorded, as `_scan_in_memory` gives them."""
        up_to_date = partial(self._ensure_indexed, ordered, full)
        try:
            with self._pinned(up_to_date):
                found = self._index.read_accounts(self._manifest, ordered, dictionaries=True)
        except IndexDamaged as exc:
            self._forget_index(str(exc))
            with self._pinned(up_to_date):
                found = self._index.read_accounts(self._manifest, ordered, dictionaries=True)
        tables, real_paths = [], {}
        for account_id in ordered:
            entry = self._manifest["accounts"][account_id]
            if account_id not in self._recorded:  # once, however often state_batches reads the account
                self.record_errors(entry["header_errors"] + entry["errors"])
                self._recorded.add(account_id)
            real_paths.update({(account_id, int(k)): v for k, v in entry["real_paths"].items()})
            self._item_counts[account_id] = entry["item_count"]
            if account_id in found:
                tables.append(found.pop(account_id))
        return tables or [scan.STATE_SCHEMA.empty_table()], real_paths

    def _scan_in_memory(self, ordered: list[str]) -> tuple[list, dict]:
        shard_scan = partial(scan.scan_shard, str(self.root), max_file_size=self.evidence.max_file_size)
        results = map_sharded(shard_scan, ordered, workers=self.workers, parallel_min=PARALLEL_MIN_ACCOUNTS,
                              per_worker=SHARDS_PER_WORKER, desc="scanning accounts", unit="account")  # fmt: skip
        real_paths: dict = {}
        tables = []
        for result in results:
            self.record_errors([e for e in result.errors if e["account_id"] not in self._recorded])
            real_paths.update(result.real_paths)
            self._item_counts.update({row["account_id"]: row["item_count"] for row in result.accounts})
            tables.append(result.states)
            result.states = None  # the frame's assembly frees each Arrow column as it converts it
        del results
        self._recorded.update(ordered)
        trim_heap()  # the pickled results, unpickled into their tables: their pages back to the OS
        return tables, real_paths

    def item_states(self, accounts: list[str] | str | None = None) -> pd.DataFrame:
        """One row per state of every item (or of some accounts), dates in UTC."""
        ids = self._account_ids if accounts is None else [self.resolve_account(a) for a in as_list(accounts)]
        self._scan(ids, full=accounts is not None)  # the whole store: the quick check
        df = self._states
        if df is None:  # nothing scanned: no account, or an empty selection
            df = frames.assemble_states([scan.STATE_SCHEMA.empty_table()], {}, str(self.root))
        if accounts is None:
            return _detached(df)
        return frames.states_of(df, ids)

    def state_batches(
        self, accounts: list[str] | str | None = None, max_states: int | None = None
    ) -> Iterator[pd.DataFrame]:
        """`item_states(accounts)` a group of whole accounts at a time, in account order: at most `max_states`
        states a batch, or one account that holds more. A question on every state of a store larger than
        memory reads it a batch at a time: an indexed store reads each group from the index and keeps none
        (the store's own frame is not filled); without an index every state is in memory already and the
        batches are slices of it. Concatenated, the batches hold item_states(accounts)'s rows, in its order
        (categorical columns carry each batch's own categories; `frames.concat_states` unites them).
        `max_states` None: BATCH_STATES, read at each call (a test forces several batches through it). No
        account at all gives one empty frame: a question always has the columns and dtypes to work with."""
        max_states = BATCH_STATES if max_states is None else max_states
        named = None if accounts is None else [self.resolve_account(a) for a in as_list(accounts)]
        ids = sorted(set(self._account_ids if named is None else named))
        if not ids:
            yield self.item_states([])
            return
        if self._index is None:
            whole = self.item_states(ids)
            counts = whole["account_id"].astype(object).value_counts()
            start = 0
            for group in bounded_runs(ids, {a: int(counts.get(a, 0)) for a in ids}, max_states):
                rows = sum(int(counts.get(a, 0)) for a in group)
                yield whole.iloc[start:start + rows].reset_index(drop=True)
                start += rows
            return
        full = accounts is not None  # as item_states: the whole store takes the quick check
        self._ensure_indexed(ids, full)
        known = self._manifest["accounts"]
        for group in bounded_runs(ids, {a: known[a]["rows"] if a in known else 0 for a in ids}, max_states):
            yield self._read_states(group, full)  # the index gone bad meanwhile: _read_states scans

    def items(self, date: object = "last", accounts: list[str] | str | None = None) -> pd.DataFrame:
        """The state of each item at `last`, `all`, or an instant (vendor semantics, FORMAT.md §4)."""
        return select_states(self.item_states(accounts), date, self.tz).reset_index(drop=True)

    def newest_state_counts(self) -> pd.DataFrame:
        """`account_id, type, items, deleted, bytes` per account and type over each item's newest state (the
        vendor's `last`; `bytes` as the metadata states them): the summary's and holdings' figures. An
        indexed store adds up what the index keeps per account, so no state is read, whatever the store's size."""
        if self._index is not None:
            self.record_scan_errors()  # a whole-store answer meets the errors a scan would
            known = self._manifest["accounts"]
            rows = [[a, *row] for a in self._account_ids for row in known[a]["newest"]]
        else:
            last = self.items("last")
            frame = pd.DataFrame({"account_id": last["account_id"].astype(str), "type": last["type"].astype(object),
                                  "deleted": last["deleted"].astype(bool), "size": last["size"]})  # fmt: skip
            grouped = frame.groupby(["account_id", "type"], dropna=False, sort=False)
            table = grouped.agg(items=("deleted", "size"), deleted=("deleted", "sum"), bytes=("size", "sum"))
            rows = [[a, None if pd.isna(t) else t, *values] for (a, t), values in zip(
                table.index, table.itertuples(index=False), strict=True)]  # fmt: skip
        rows.sort(key=lambda row: (row[0], row[1] is None, row[1] or ""))
        df = pd.DataFrame(rows, columns=["account_id", "type", "items", "deleted", "bytes"])
        return df.astype({"account_id": object, "type": object, "items": "int64", "deleted": "int64", "bytes": "int64"})

    def state_count(self) -> int:
        """How many states the store holds; an indexed store answers from its manifest (no part is read)."""
        if self._index is not None:
            self.record_scan_errors()  # a whole-store answer meets the errors a scan would
            return sum(self._manifest["accounts"][a]["rows"] for a in self._account_ids)
        return len(self.item_states())

    # -- blobs ----------------------------------------------------------------------------
    @cached_property
    def _blob_files(self) -> pd.DataFrame:
        return self._listing_frame(*self._listing(index_blobs.GROUP_KEYS))

    @cached_property
    def _blob_folders(self) -> dict[str, list] | None:
        """The prefix folders of items/ by index group, stat'ed once per store (a refresh takes them again)."""
        return index_blobs.folder_fingerprints(self.evidence)

    def _listing(self, keys: Sequence[str]) -> tuple[pa.Table, list[dict]]:
        """`scan.scan_blobs` of the prefix folders of the index groups `keys`: from the index when the store
        has one (groups whose folders changed are listed again first), else by walking items/."""
        for _attempt in range(2):  # a damaged part: the index is rebuilt from nothing, then listed again
            if self._index is None or self._blob_folders is None:
                break
            try:
                with self._pinned(partial(self._list_up_to_date, keys)):
                    return index_blobs.indexed_listing(self._index, self._manifest, self.evidence, keys)
            except IndexDamaged as exc:
                self._forget_index(str(exc))
        wanted = set(keys)
        return scan.scan_blobs(str(self.root), lambda name: index_blobs.group_key(name) in wanted)

    def _listing_frame(self, table, errors: list[dict]) -> pd.DataFrame:
        """A listing of items/ (scan.scan_blobs) as blob_files' frame; its problems and its misplaced files
        recorded in the errors table, once however often the listing is taken."""
        self.record_errors(errors, once=True)
        df = frames.to_pandas(table) if table.num_rows else pd.DataFrame(columns=frames.BLOB_COLUMNS[:-2])
        df["misplaced"] = df.get("misplaced", pd.Series(dtype=bool)).fillna(False).astype(bool)
        misplaced = df[df["misplaced"]]
        self.record_errors([misplaced_blob_record(name, prefix)
                            for name, prefix in zip(misplaced["digest"], misplaced["prefix"], strict=True)],
                           once=True)  # fmt: skip
        return df

    def blob_files(self) -> pd.DataFrame:
        """The listing of `items/`, taken once per store: `digest, prefix, path, compressed_size, misplaced`."""
        return self._blob_files.copy()

    def blob_file_groups(self, groups: Sequence[str]) -> Iterator[pd.DataFrame]:
        """blob_files a group of prefix folders at a time: group i holds the folders whose name begins with
        a character of `groups[i]`, the last one also every folder that begins with none of them. A question
        on every blob of a store too large to list in memory takes the listing a group at a time, never
        kept; a listing this store already holds is sliced instead."""
        number_of = {char: number for number, chars in enumerate(groups) for char in chars}
        last = len(groups) - 1

        def group_of(name: str) -> int:
            return number_of.get(name[:1], last)  # an empty name, or one beginning with no listed character

        held = self.__dict__.get("_blob_files")
        numbers = np.array([group_of(p) for p in held["prefix"]], dtype=np.int64) if held is not None else None
        keys = [[key for key in index_blobs.GROUP_KEYS if group_of(key) == n] for n in range(len(groups))]
        for number in range(len(groups)):
            if held is not None:
                yield held[numbers == number].reset_index(drop=True)
            else:
                yield self._listing_frame(*self._listing(keys[number]))

    def blobs(self) -> pd.DataFrame:
        """Every blob file: `digest, prefix, path, compressed_size, referenced, misplaced`. The digests the
        states reference are looked up a batch of states at a time (state_batches): the peak holds the
        listing and one batch, never every state."""
        df = self.blob_files()
        used = np.zeros(len(df), dtype=bool)
        for batch in self.state_batches():
            used |= frames.distinct_values(batch["digest"]).get_indexer(df["digest"]) >= 0
            del batch
        df["referenced"] = used & ~df["misplaced"].to_numpy()
        return df[frames.BLOB_COLUMNS]

    def read_blob(self, digest: str) -> bytes:
        """The verified raw (uncompressed) bytes of a blob, from its canonical path only."""
        raw, _layers = self.read_blob_checked(digest)
        return raw

    def blob_failed(self, digest: str) -> bool:
        """Whether this store already met the blob `digest` failing (read_blob_checked raises it again)."""
        return digest in self._blob_failures

    def read_blob_checked(self, digest: str) -> tuple[bytes, int]:
        """Raw bytes and the number of gzip layers; raises EvidenceError with the kit's kind, and
        records it in the errors table (once per blob)."""
        if digest in self._blob_failures:
            raise self._blob_failures[digest]
        try:
            raw, layers = read_verified_blob(self.evidence, digest, self.max_blob_size)
        except EvidenceError as exc:
            if exc.kind == "missing" and vdigest.is_digest(digest):
                exc = self._name_misplaced_copies(exc, digest)
            self._blob_failures[digest] = exc
            self.record_error(exc, exc.path or digest, once=True)
            raise exc from None
        return raw, layers

    def _name_misplaced_copies(self, exc: EvidenceError, digest: str) -> EvidenceError:
        """A blob missing at its canonical path may sit under another prefix: still missing for a restore
        (FORMAT.md §9), but the error names the copy, recorded `misplaced` as the listing records it. The
        copies are looked for by one lstat per prefix folder (no atime, no listing of every blob), or in the
        listing of items/ when this store holds it."""
        held = self.__dict__.get("_blob_files")
        if held is not None:
            copies = sorted(held.loc[(held["digest"] == digest) & held["misplaced"], "prefix"])
        else:
            try:
                folders = [name for name, kind in self.listing(layout.ITEMS_DIR) if kind == "folder"]
            except EvidenceError:  # no items/, or unreadable: nothing to name (the listing reports it)
                folders = []
            copies = [name for name in folders
                      if name != digest[:2] and self.evidence.lstat(f"{layout.ITEMS_DIR}/{name}/{digest}")]  # fmt: skip
        if not copies:
            return exc
        self.record_errors([misplaced_blob_record(digest, prefix) for prefix in copies], once=True)
        where = ", ".join(f"{layout.ITEMS_DIR}/{prefix}/" for prefix in copies)
        return EvidenceError(exc.kind, f"{exc.detail}; a misplaced copy sits in {where}", exc.path)

    # -- server configuration (store.server owns the archives) ----------------------------
    def server_archives(self) -> pd.DataFrame:
        """Every `server/` archive: `component, date, path, size, members`."""
        return self.server.archives()

    def server_config(self, kind: str = "standard", date: object = "last", query: str = "/") -> pd.DataFrame:
        """getServerConfig offline: `date, section, id, key, value` (or archive members for customizations)."""
        return self.server.config(kind, date, query)

    def ldap(self, date: object = "last") -> dict[str, pd.DataFrame]:
        """The LDIF dump as frames of accounts, COS, domains and distribution lists."""
        return self.server.ldap(date)


# pandas 3 is copy-on-write: a shallow copy already protects the cache from a caller's edits,
# so a million-state frame is not duplicated on every call (it was +300 MiB at the peak).
_COPY_ON_WRITE = int(pd.__version__.split(".")[0]) >= 3 or bool(pd.get_option("mode.copy_on_write"))


def _detached(df: pd.DataFrame) -> pd.DataFrame:
    """A frame the caller may change without touching the store's cache."""
    return df.copy(deep=not _COPY_ON_WRITE)


def _names_view(view: str, query: str) -> bool:
    """Whether a query names a view whose source costs a walk (the listing of items/, of server/)."""
    return re.search(rf"\b{view}\b", query, re.I) is not None


def misplaced_blob_record(name: str, prefix: str) -> dict:
    """The errors row of a blob file under another prefix folder than its name's."""
    where = layout.ITEMS_DIR
    detail = f"blob belongs in {where}/{name[:2]}/, found in {where}/{prefix}/"
    return ErrorRecord(f"{where}/{prefix}/{name}", "misplaced", detail).as_dict()


def entry_type(entry: os.DirEntry) -> str:
    """`file`, `folder`, `link` or `other` (FIFO, device, socket) of a listed entry, links not followed."""
    try:
        if entry.is_symlink():
            return "link"
        if entry.is_dir(follow_symlinks=False):
            return "folder"
        return "file" if entry.is_file(follow_symlinks=False) else "other"
    except OSError:
        return "other"


def as_list(accounts: list[str] | str) -> list[str]:
    """Accounts given as a list or as one comma-separated string."""
    if isinstance(accounts, str):
        return [a.strip() for a in accounts.split(",") if a.strip()]
    return list(accounts)


def open_backup(path: str | os.PathLike, tz: str | None = None, index: object = None, **options) -> BackupStore:
    """Open a backup path read-only: `zx.open_backup("/mnt/import")`.

    `index`: None keeps the scan in the default cache (`$XDG_CACHE_HOME/zxforensics/<key>`, or
    `$ZXFORENSICS_INDEX`), a path names the index folder, False scans in memory without one."""
    return BackupStore(path, tz=tz, index=index, **options)


def build_index(path: str | os.PathLike, index: object = None, client=None, tz: str | None = None,
                full: bool = True, **options) -> BackupStore:  # fmt: skip
    """Build (or bring up to date) the index of a backup path; on a dask.distributed cluster when given a
    `client` (every worker mounts the backup path read-only at the same path, the index folder is shared).
    `full=False`: an existing index is checked as by `refresh(full=False)`. Returns the store,
    `store.index_info()` and `store.rescanned` say what was done."""
    found, why = open_index(resolve_backup_path(path), index)
    if found is None:
        raise ZxError(f"no index: {why}")
    store = BackupStore(path, tz=tz, index=found.folder, client=client, **options)
    store.rescanned = store.refresh(full=full)
    store.index_blob_listing()
    return store
