"""The persistent index: the scan's results kept as Parquet beside (never inside) the evidence.

Why: every process used to scan the whole backup path again; a production backup holds 10^8 states.
The index keeps, per account, the scan's raw columns (one row group per account in a part file), the
account's header row, its error rows and a fingerprint taken from `stat` alone. A store reads the
accounts it needs from it and rescans only those whose fingerprint changed.

Layout of an index folder (a user's `index DIR`, or `$XDG_CACHE_HOME/zxforensics/<key>`):

    manifest.json            kit/schema versions, backup identity, parts (size, rows), accounts
    lock                     fcntl lock held by whoever writes (builders, refreshes)
    readers                  fcntl lock shared by whoever reads parts; superseded parts wait for it
    states/part-<hex>.parquet  the scan's states, one row group per account, written once, never changed
    blobs/part-<hex>.parquet   the listing of items/, one part per group of prefix folders (store.index_blobs)

Integrity: parts are written to a hidden temporary name, fsynced and renamed; the manifest is committed
last by an atomic rename. A manifest whose versions, backup identity or parts (sizes, row counts) do not
match is not trusted: the index is rebuilt. Parts the manifest does not list (a killed build, parts
superseded by a refresh) are removed under the lock, and only when no process is reading parts (the
`readers` lock): a refresh in one process never pulls a part from under a query in another, and a reader
whose manifest is older than the one on disk takes the new one before it reads (`Index.moved_on`).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import stat
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import OutputError
from ..evidence.files import Evidence, open_folder, stat_listing
from ..format import layout
from ..output.writer import OutputDir
from ..parse.items import STATE_SCHEMA
from ..version import __version__
from .index_files import FILE_STAT, FileKey, file_key
from .scan import REPEATED, is_archived, item_id_of

INDEX_FORMAT = 5  # 2: two depths of fingerprints; 3: newest-state counts; 4: the blob listing; 5: file stats
MANIFEST = "manifest.json"
LOCK = "lock"
READERS = "readers"
# Accounts fingerprinted at once per process. A full check of 1,000 accounts (533,500 item files) with the
# inode cache dropped: 10.5 s with one, 6.2 to 6.8 s with four; warm, 1.6 to 1.7 s either way.
CHECK_THREADS = 4
STATES_DIR = "states"
BLOBS_DIR = "blobs"
PART_PREFIX = "part-"
PART_SUFFIX = ".parquet"
# A value of $ZXFORENSICS_INDEX (format.layout.INDEX_ENV) that turns the index off.
OFF_WORDS = ("0", "false", "no", "off", "none")


class IndexUnavailable(Exception):
    """Why a store scans without an index (said once, as a warning)."""


class IndexTurnedOff(IndexUnavailable):
    """The user turned the index off: said in `index_info()`, never warned about (it was asked for)."""


class OffNote(str):
    """The note of an index the user turned off: `warn_unavailable` keeps quiet about it."""


class IndexWarning(UserWarning):
    """The index could not be used: the store scans in memory, as before."""


# A part's rows are the scan's states plus the stat of the item file each came from (store.index_files),
# taken before it was read: a refresh re-reads only the files whose stat changed (index_build.rescan_one).
# Readers of states never see them (STATE_COLUMNS).
PART_SCHEMA = pa.schema([*STATE_SCHEMA, *FILE_STAT])
STATE_COLUMNS = STATE_SCHEMA.names


def schema_token() -> str:
    """Changes whenever what a part holds changes: the parts' Arrow schema and the index format."""
    text = f"{INDEX_FORMAT}\n{PART_SCHEMA}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def backup_identity(root: str | os.PathLike) -> dict:
    """The backup path's real path and file-system identity: the index's key."""
    real = os.path.realpath(root)
    info = os.stat(real)
    return {"realpath": real, "dev": info.st_dev, "ino": info.st_ino}


def index_key(root: str | os.PathLike) -> str:
    """`<folder name>-<hash of realpath, st_dev, st_ino>`: readable, and distinct per backup path."""
    ident = backup_identity(root)
    digest = hashlib.sha256(f"{ident['realpath']}\0{ident['dev']}\0{ident['ino']}".encode("utf-8", "surrogateescape"))
    base = "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(ident["realpath"]).name)[:40].lstrip(".")
    return f"{base or 'backup'}-{digest.hexdigest()[:20]}"


def cache_home() -> Path:
    """$XDG_CACHE_HOME, else ~/.cache (the XDG default)."""
    given = os.environ.get("XDG_CACHE_HOME")
    if given and os.path.isabs(given):
        return Path(given)
    return Path(os.path.expanduser("~")) / ".cache"


def choose_index_dir(root: str | os.PathLike, index: object = None) -> Path:
    """The index folder of a backup path: `index` (a path), else $ZXFORENSICS_INDEX (a path, or `off`),
    else `$XDG_CACHE_HOME/zxforensics/<key>`. Raises IndexUnavailable with the reason when there is none
    (turned off, inside the evidence, not writable)."""
    if index is False or (isinstance(index, str) and index.strip().lower() in OFF_WORDS):
        raise IndexTurnedOff("the index is turned off")
    if index is None:
        env = os.environ.get(layout.INDEX_ENV, "").strip()
        if env.lower() in OFF_WORDS:
            raise IndexTurnedOff(f"the index is turned off (${layout.INDEX_ENV}={env})")
        folder = Path(env) if env else cache_home() / "zxforensics" / index_key(root)
    else:
        folder = Path(os.fspath(index)).expanduser()
    real_folder = Path(os.path.realpath(folder))
    real_root = Path(os.path.realpath(root))
    if real_folder == real_root or real_root in real_folder.parents:
        raise IndexUnavailable(f"the index folder {real_folder} lies inside the backup path {real_root}")
    try:
        real_folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IndexUnavailable(f"cannot make the index folder {real_folder}: {exc.strerror or exc}") from None
    if not real_folder.is_dir() or not os.access(real_folder, os.W_OK | os.X_OK):
        raise IndexUnavailable(f"the index folder {real_folder} is not a writable folder")
    return real_folder


# -- fingerprints (stat only: no file of the evidence is opened) ----------------------------------------
# Two depths. `quick`, for whole-store questions and every reopen: the account's folder, account_info,
# account_stat, items/ and each of its NN folders (a new, removed or renamed item file changes its
# folder's mtime; a scan of the account rewrites account_stat): a hundred stats an account. `full`, for
# refresh() and for a question on named accounts, also sums every item file's stat (count, bytes, newest
# mtime and ctime): an item file rewritten in place, with nothing else touched, is seen there.
def _stat_key(info: os.stat_result | None) -> list[int] | None:
    if info is None:
        return None
    return [stat.S_IFMT(info.st_mode), info.st_size, info.st_mtime_ns, info.st_ino]


def head_fingerprint(ev: Evidence, account_id: str) -> list:
    """What says an account's header may have changed: its folder (or archive), account_info, account_stat."""
    base = f"{layout.ACCOUNTS_DIR}/{account_id}"
    archive = ev.lstat(base + layout.ACCOUNT_ARCHIVE_SUFFIX)
    return [
        _stat_key(ev.lstat(base)),
        _stat_key(archive),
        _stat_key(ev.lstat(f"{base}/{layout.ACCOUNT_INFO}")),
        _stat_key(ev.lstat(f"{base}/{layout.ACCOUNT_STAT}")),
    ]


def items_fingerprint(ev: Evidence, account_id: str, full: bool, keys: dict[int, FileKey] | None = None) -> dict:
    """`folders`: the stat of items/ and a digest of its entries' names and stats; with `full`, `files`:
    the number of files in its folders, their total size and newest mtime. An archived account (or an
    items/ that cannot be listed) is the stat of what stands in its place."""
    base = f"{layout.ACCOUNTS_DIR}/{account_id}"
    if is_archived(ev, account_id):
        return _whole(["archive", _stat_key(ev.lstat(base + layout.ACCOUNT_ARCHIVE_SUFFIX))], full)
    rel = f"{base}/{layout.ITEMS_DIR}"
    real = os.path.realpath(ev.path(rel))
    if not ev.inside(real):
        return _whole(["outside", _stat_key(ev.lstat(rel))], full)
    try:
        fd = open_folder(real, follow=False)
    except OSError as exc:
        return _whole(["unlisted", exc.errno, _stat_key(ev.lstat(rel))], full)
    try:
        entries = sorted(stat_listing(fd), key=_first)
        digest = hashlib.sha256()
        for name, info in entries:
            digest.update(f"{name}\0{_stat_key(info)}\n".encode("utf-8", "surrogateescape"))
        found = {"folders": ["folder", _stat_key(os.fstat(fd)), digest.hexdigest()[:16]]}
        if full:
            found["files"] = _files_below(fd, [name for name, info in entries if stat.S_ISDIR(info.st_mode)], keys)
    except OSError as exc:
        return _whole(["unlisted", exc.errno, _stat_key(ev.lstat(rel))], full)
    finally:
        os.close(fd)
    return found


def _files_below(fd: int, folders: list[str], keys: dict[int, FileKey] | None = None) -> list[int]:
    """[files, total bytes, newest mtime, newest ctime] of the entries of some folders of the open folder
    `fd` (the ctime: a file rewritten with its size and mtime put back still changes it); with `keys`,
    each item file's stat by item id too (index_files.file_key), from the same stats."""
    count = total = newest = changed = 0
    for name in folders:
        try:
            sub = open_folder(name, follow=False, dir_fd=fd)
        except OSError:
            count -= 1  # a folder that cannot be listed now: differs from one listed at build time
            continue
        try:
            for entry_name, info in stat_listing(sub):
                count += 1
                total += info.st_size
                newest = max(newest, info.st_mtime_ns)
                changed = max(changed, info.st_ctime_ns)
                if keys is not None and (item_id := item_id_of(entry_name)) is not None:
                    keys[item_id] = file_key(info)
        finally:
            os.close(sub)
    return [count, total, newest, changed]


def _first(pair: tuple) -> str:
    return pair[0]


def _whole(key: list, full: bool) -> dict:
    return {"folders": key, "files": key} if full else {"folders": key}


def fingerprint(ev: Evidence, account_id: str, full: bool = True, keys: dict[int, FileKey] | None = None) -> dict:
    """`head` and `folders` (the quick check); `files` too when `full` (the index build takes it full, and
    fills `keys` with each item file's stat: what it reads next is what was stat'ed, or newer)."""
    return {"head": head_fingerprint(ev, account_id), **items_fingerprint(ev, account_id, full, keys)}


def fingerprint_matches(known: dict, current: dict) -> bool:
    """Whether the fingerprint kept in the manifest equals one taken now, at the depth it was taken."""
    return all(known.get(key) == value for key, value in current.items())


def fingerprints(root: str, account_ids: Sequence[str], full: bool = True) -> dict[str, dict]:
    """Fingerprints of some accounts (a shard of them, in a worker process on a large store), CHECK_THREADS
    accounts at a time: a stat that misses the inode cache waits on storage, not on the CPU."""
    take = partial(fingerprint, Evidence(root), full=full)
    if len(account_ids) < 2:
        return {account_id: take(account_id) for account_id in account_ids}
    with ThreadPoolExecutor(CHECK_THREADS) as pool:
        return dict(zip(account_ids, pool.map(take, account_ids), strict=True))


# -- the manifest ----------------------------------------------------------------------------------------
def new_manifest(identity: dict) -> dict:
    return {"format": INDEX_FORMAT, "kit": __version__, "schema": schema_token(), "backup": identity,
            "parts": {}, "accounts": {}, "blobs": {}}  # fmt: skip


def blob_parts(manifest: dict) -> dict[str, dict]:
    """The blob listing's parts (`blobs/part-...` -> its group entry): groups with no file have none."""
    return {entry["part"]: entry for entry in manifest.get("blobs", {}).values() if entry.get("part")}


def _to_json(manifest: dict) -> bytes:
    # ensure_ascii: names from the evidence may hold lone surrogates (undecodable bytes), kept as \udcXX
    return json.dumps(manifest, ensure_ascii=True, separators=(",", ":"), default=str).encode()


def _from_json(data: bytes) -> dict:
    """orjson reads a 5,000-account manifest in a third of json's time; a name kept as a lone surrogate
    (\\udcXX, which orjson refuses) falls back to json."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


class Index:
    """One index folder of one backup path: validation on open, the lock, parts, the manifest's commit."""

    def __init__(self, folder: Path, root: str | os.PathLike) -> None:
        self.folder = Path(folder)
        self.root = str(Path(os.path.realpath(root)))
        self.out = OutputDir(self.folder, [self.root])
        self.identity = backup_identity(self.root)
        self.problem: str | None = None  # why the manifest on disk was not trusted (for messages)
        self._loaded: tuple | None = None  # the identity of the manifest file last loaded or committed

    def __repr__(self) -> str:
        return f"Index({str(self.folder)!r})"

    # -- reading the manifest -----------------------------------------------------------------------
    def load(self) -> dict:
        """The manifest on disk when it can be trusted, else a new empty one (`problem` says why)."""
        self.problem = None
        self._loaded = self._manifest_identity()
        if self._loaded is None:
            return new_manifest(self.identity)
        try:
            manifest = _from_json(self.out.read_bytes(MANIFEST))
            reason = self._untrusted(manifest)
        except (OutputError, ValueError, TypeError, AttributeError, KeyError) as exc:
            reason = f"unreadable manifest ({exc})"
        if reason:
            self.problem = reason
            return new_manifest(self.identity)
        return manifest

    def _manifest_identity(self) -> tuple | None:
        """(inode, mtime, size) of manifest.json, None when there is none: every commit renames a new file."""
        try:
            with self.out.folder() as fd:
                info = os.stat(MANIFEST, dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            return None
        return info.st_ino, info.st_mtime_ns, info.st_size

    def moved_on(self) -> bool:
        """Whether another process committed since this one loaded (or committed) the manifest: the parts
        it superseded may be gone, so the manifest is loaded again before parts are read."""
        return self._manifest_identity() != self._loaded

    def _untrusted(self, manifest: dict) -> str | None:
        expected = {"format": INDEX_FORMAT, "kit": __version__, "schema": schema_token()}
        for key, value in expected.items():
            if manifest.get(key) != value:
                return f"{key} {manifest.get(key)!r} is not {value!r}"
        if manifest.get("backup") != self.identity:
            return "it indexes another backup path"
        for part, info in [*manifest["parts"].items(), *blob_parts(manifest).items()]:
            size = self.part_size(part)
            if size != info["size"]:
                return f"{part}: {size} bytes on disk, {info['size']} in the manifest"
        return None

    def part_size(self, part: str) -> int | None:
        try:
            with self.out.folder(_part_folder(part), create=False) as fd:
                info = os.stat(Path(part).name, dir_fd=fd, follow_symlinks=False)
        except (FileNotFoundError, OutputError):
            return None
        return info.st_size if stat.S_ISREG(info.st_mode) else None

    # -- writing ------------------------------------------------------------------------------------
    @contextmanager
    def _lock_file(self, name: str) -> Iterator[int]:
        """A descriptor of one of the index's lock files (made when missing, never through a link)."""
        with self.out.folder() as fd:
            lock_fd = os.open(name, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | os.O_CLOEXEC, 0o644,
                              dir_fd=fd)  # fmt: skip
        try:
            yield lock_fd
        finally:
            os.close(lock_fd)  # the lock goes with the descriptor

    @contextmanager
    def locked(self) -> Iterator[None]:
        """The writers' lock: two builders of one index take turns (readers never wait for it)."""
        with self._lock_file(LOCK) as lock_fd:
            fcntl.flock(lock_fd, fcntl.LOCK_EX)
            yield

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Held, shared, while parts are read (a query, a read of accounts): no part is removed meanwhile.
        A reader waits only for a garbage collection under way (a few unlinks)."""
        with self._lock_file(READERS) as lock_fd:
            fcntl.flock(lock_fd, fcntl.LOCK_SH)
            yield

    def commit(self, manifest: dict) -> None:
        """Write the manifest atomically (temp name, fsync, rename), then remove parts it does not list."""
        with self.out.open_atomic(MANIFEST) as handle:
            handle.write(_to_json(manifest))
        self._loaded = self._manifest_identity()
        self.collect_garbage(manifest)

    def collect_garbage(self, manifest: dict) -> bool:
        """Remove part files (and temporaries) the manifest does not list: call under the writers' lock.
        Left for a later commit while a process reads parts (this one included); False then."""
        with self._lock_file(READERS) as readers:
            try:
                fcntl.flock(readers, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            self._remove_unlisted(manifest)
        return True

    def _remove_unlisted(self, manifest: dict) -> None:
        for folder, parts in ((STATES_DIR, manifest["parts"]), (BLOBS_DIR, blob_parts(manifest))):
            live = {Path(p).name for p in parts}
            try:
                names = self.out.files(folder)
            except OutputError:
                continue
            for name in names:
                name = Path(name).name
                if name not in live and (name.startswith(PART_PREFIX) or name.endswith(".tmp")):
                    self.out.remove(folder, name)

    # -- reading parts ------------------------------------------------------------------------------
    def part_path(self, part: str) -> Path:
        return self.out.path(_part_folder(part), Path(part).name)

    def read_listing(self, entry: dict) -> pa.Table:
        """One group's part of the blob listing; IndexDamaged when it does not read as the manifest says."""
        part = entry["part"]
        try:
            with self.out.open_read(BLOBS_DIR, Path(part).name) as handle:
                table = pq.read_table(handle)
        except (OSError, OutputError, pa.ArrowException) as exc:
            raise IndexDamaged(f"{part}: {exc}") from None
        if table.num_rows != entry["rows"]:
            raise IndexDamaged(f"{part}: {table.num_rows} rows, not {entry['rows']}")
        return table

    def read_accounts(self, manifest: dict, account_ids: Sequence[str], columns: Sequence[str] = STATE_COLUMNS,
                      dictionaries: bool = False) -> dict[str, pa.Table]:  # fmt: skip
        """States of some accounts, read from their row groups only: account id -> table.
        Raises IndexDamaged when a part does not read or does not hold the rows the manifest says.

        `dictionaries`: the repeated strings (scan.REPEATED) come dictionary-encoded, as the scan makes
        them, decoded from Parquet's dictionaries without a plain string per row (+90 MiB at the peak
        of a million states); without it, plain strings, as parts are written."""
        by_part: dict[str, list[str]] = {}
        for account_id in account_ids:
            entry = manifest["accounts"][account_id]
            if entry["rows"]:
                by_part.setdefault(entry["part"], []).append(account_id)
        tables: dict[str, pa.Table] = {}
        wanted = [n for n in REPEATED if columns is None or n in columns] if dictionaries else None
        for part, ids in by_part.items():
            groups = [g for a in ids for g in manifest["accounts"][a]["row_groups"]]
            table = read_row_groups(self.out, part, groups, columns, wanted, manifest["parts"][part]["rows"])
            start = 0
            for account_id in ids:
                rows = manifest["accounts"][account_id]["rows"]
                tables[account_id] = table.slice(start, rows)
                start += rows
            if start != table.num_rows:
                raise IndexDamaged(f"{part}: {table.num_rows} rows read, {start} expected")
        return tables


def read_row_groups(out: OutputDir, part: str, groups: Sequence[int], columns: Sequence[str] | None = None,
                    dictionaries: Sequence[str] | None = None, part_rows: int | None = None) -> pa.Table:  # fmt: skip
    """Some row groups of a states part named in a manifest (`dictionaries`: columns read dictionary-encoded).
    IndexDamaged when it does not read, or does not hold the `part_rows` its manifest says."""
    try:
        with out.open_read(STATES_DIR, Path(part).name) as handle:
            parquet = pq.ParquetFile(handle, read_dictionary=dictionaries)
            if part_rows is not None and parquet.metadata.num_rows != part_rows:
                raise IndexDamaged(f"{part}: {parquet.metadata.num_rows} rows, not {part_rows}")
            return parquet.read_row_groups(list(groups), columns=list(columns) if columns else None)
    except (OSError, OutputError, pa.ArrowException) as exc:
        raise IndexDamaged(f"{part}: {exc}") from None


def _part_folder(part: str) -> str:
    """The folder of a part named in the manifest (`states/part-...`, `blobs/part-...`)."""
    return BLOBS_DIR if Path(part).parent.name == BLOBS_DIR else STATES_DIR


class IndexDamaged(Exception):
    """A part that the manifest lists does not read as it says: the index is rebuilt, never trusted."""


def open_index(root: str | os.PathLike, index: object = None) -> tuple[Index | None, str | None]:
    """The index of a backup path, or None and why (said as a warning by the store, unless the user turned
    the index off: then the note is an `OffNote`)."""
    try:
        return Index(choose_index_dir(root, index), root), None
    except IndexTurnedOff as exc:
        return None, OffNote(exc)
    except IndexUnavailable as exc:
        return None, str(exc)
    except (OutputError, OSError) as exc:
        return None, f"the index cannot be used: {exc}"


def warn_unavailable(reason: str) -> None:
    """Warn that a wanted index cannot be used; an index the user turned off (`OffNote`) is no news."""
    if isinstance(reason, OffNote):
        return
    warnings.warn(f"zxforensics: {reason}; scanning without an index", IndexWarning, stacklevel=3)


def split_accounts(account_ids: Sequence[str], workers: int, per_part: int) -> list[list[str]]:
    """Accounts of a build in contiguous parts of at most `per_part` accounts: small parts keep a refresh's
    rewrite small; several per worker keep the workers busy."""
    ids = list(account_ids)
    if not ids:
        return []
    count = max(-(-len(ids) // per_part), min(len(ids), workers * 2))
    size = max(1, -(-len(ids) // count))
    return [ids[i : i + size] for i in range(0, len(ids), size)]


# (parts of account ids, item files they last held, manifest entries of those the index holds) -> parts
Runner = Callable[[list[list[str]], int, dict[str, dict]], list[dict]]
