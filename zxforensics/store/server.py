"""Server configuration over time (FORMAT.md §5): the `server/` archives of a backup path as frames.

Every archive is read in place (`archives`), each parsed once per store and cached; an archive that
cannot be read is an errors row and is passed over when choosing the snapshot valid at a date, so
`last` is the newest snapshot that reads. The vendor's `date` semantics: `last`, `all`, or an instant
(`dd/MM/yyyy HH:mm:ss` in the server's zone): the newest snapshot taken at or before it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

import pandas as pd

from ..errors import ErrorRecord, EvidenceError
from ..evidence.files import Evidence
from ..evidence.tar import ArchiveRead, Member, read_archive
from ..format.archives import CONFIG_MEMBER, LDAP_MEMBER, parse_archive_name
from ..format.layout import SERVER_DIR
from ..parse import ParseError
from ..parse.ldap_dump import DEFAULT_COS_NAME, RECORD_KINDS, ldap_records, parse_ldif
from ..parse.server_config import ROW_FIELDS, config_rows, match_query, parse_config
from .states import at_instant, is_all, is_last

if TYPE_CHECKING:
    from .backup import BackupStore

ARCHIVE_COLUMNS = ["component", "date", "path", "size", "members"]
COMPONENT_OF_KIND = {"standard": "config", "customizations": "customizations"}  # getServerConfig's `type`
STANDARD_COLUMNS = ["date", *ROW_FIELDS]
CUSTOM_COLUMNS = ["date", "archive", "member", "size", "mode", "sha256"]
_LISTING_COLUMNS = ["component", "date", "path", "rel", "name", "size"]
LDAP_COLUMNS = {
    "accounts": ["date", "account_id", "name", "display_name", "status", "cos_id", "effective_cos_id", "cos_name",
                 "cos_via", "backup_disabled", "mail_host", "aliases", "created", "is_admin", "dn"],
    "cos": ["date", "cos_id", "name", "notes", "backup_disabled", "dn"],
    "domains": ["date", "domain_id", "name", "status", "type", "default_cos_id", "dn"],
    "distribution_lists": ["date", "list_id", "name", "display_name", "status", "members", "aliases", "dn"],
}  # fmt: skip


@dataclass
class _Cache:
    """What one store has read of its `server/` folder (archives never change under a read-only mount)."""

    listing: pd.DataFrame | None = None
    listing_errors: list[dict] = field(default_factory=list)
    summaries: dict[str, ArchiveRead] = field(default_factory=dict)  # members without their bytes
    parsed: dict[str, object] = field(default_factory=dict)  # rel -> config rows or LDAP records (None: unreadable)


_CACHES: WeakKeyDictionary = WeakKeyDictionary()


def _cache(store: BackupStore) -> _Cache:
    cache = _CACHES.get(store)
    if cache is None:
        cache = _CACHES[store] = _Cache()
    return cache


# -- listing -------------------------------------------------------------------------------------
def _listing(store: BackupStore) -> pd.DataFrame:
    """Archives of `server/` by name (no archive opened); bad names are kept aside as error rows."""
    cache = _cache(store)
    if cache.listing is not None:
        return cache.listing
    rows, errors = [], []
    try:
        entries = store.evidence.scandir(SERVER_DIR)
    except EvidenceError as exc:
        entries = []
        if exc.kind != "missing":
            errors.append(ErrorRecord(SERVER_DIR, exc.kind, exc.detail).as_dict())
    for entry in entries:
        rel = f"{SERVER_DIR}/{entry.name}"
        if entry.is_dir(follow_symlinks=False):
            continue
        try:
            component, moment = parse_archive_name(entry.name, store.tz)
            size = store.evidence.size(rel)
        except (ParseError, EvidenceError) as exc:
            errors.append(ErrorRecord(rel, exc.kind, exc.detail).as_dict())
            continue
        rows.append((component, pd.Timestamp(moment), os.path.join(str(store.root), rel), rel, entry.name, size))
    frame = pd.DataFrame(rows, columns=_LISTING_COLUMNS)
    frame["date"] = pd.to_datetime(frame["date"], utc=True)
    cache.listing = frame.sort_values(["component", "date"], ignore_index=True)
    cache.listing_errors = errors
    return cache.listing


def _record_listing_errors(store: BackupStore) -> None:
    _listing(store)
    store._record(_cache(store).listing_errors)


def snapshots(store: BackupStore, component: str) -> pd.DataFrame:
    """The archives of one component (`config`, `customizations`, `ldap`), oldest first."""
    listing = _listing(store)
    return listing[listing["component"] == component].reset_index(drop=True)


def server_archives(store: BackupStore) -> pd.DataFrame:
    """Every `server/` archive: `component, date, path, size, members` (regular members read)."""
    _record_listing_errors(store)
    listing = _listing(store)
    counts = [len(_summary(store, rel).members) for rel in listing["rel"]]
    return listing.assign(members=pd.array(counts, dtype="Int64"))[ARCHIVE_COLUMNS]


# -- reading archives ----------------------------------------------------------------------------
def _summary(store: BackupStore, rel: str) -> ArchiveRead:
    """An archive's members (sha256 computed, bytes dropped) and errors, read once per store."""
    cache = _cache(store)
    if rel not in cache.summaries:
        read = read_archive(store.evidence, rel)
        store._record(read.errors)
        read.members = [replace(m, data=None, digest=m.sha256) for m in read.members]
        cache.summaries[rel] = read
    return cache.summaries[rel]


def _payload_member(read: ArchiveRead, member: str, errors: list[dict]) -> Member | None:
    """The member named `member` with its bytes (the last of duplicates), or an error row when it is absent."""
    found = [m for m in read.members if m.name == member and m.data is not None]
    if not found and read.ok:
        errors.append(ErrorRecord(read.path, "missing", f"no member {member!r} in the archive").as_dict())
    return found[-1] if found else None


def _parsed(store: BackupStore, rel: str, component: str) -> object:
    """Config rows or LDAP records of one archive (None when unreadable, with error rows)."""
    cache = _cache(store)
    if rel not in cache.parsed:
        errors: list[dict] = []
        cache.parsed[rel] = parse_member(store.evidence, rel, component, errors)
        store._record(errors)
    return cache.parsed[rel]


def parse_member(ev: Evidence, rel: str, component: str, errors: list[dict]) -> object:
    """The parsed payload of a `config` (rows) or `ldap` (records) archive of any evidence tree."""
    name = CONFIG_MEMBER if component == "config" else LDAP_MEMBER
    read = read_archive(ev, rel, want=lambda member: member == name)
    errors.extend(read.errors)
    return parse_payload(_payload_member(read, name, errors), rel, component, errors)


def parse_payload(member: Member | None, rel: str, component: str, errors: list[dict]) -> object:
    """Config rows or LDAP records of a payload member already read (None, with an error row, when it fails)."""
    if member is None:
        return None
    try:
        if component == "config":
            return config_rows(parse_config(member.data))
        return ldap_records(parse_ldif(member.data))
    except ParseError as exc:
        errors.append(ErrorRecord(rel, exc.kind, f"{member.name}: {exc.detail}").as_dict())
        return None


# -- the vendor's date semantics -----------------------------------------------------------------
def _readable(store: BackupStore, component: str, rel: str) -> bool:
    """Whether an archive reads: its payload parses (`config`, `ldap`), or the tar reads to its end."""
    if component in ("config", "ldap"):
        return _parsed(store, rel, component) is not None
    return _summary(store, rel).ok


def choose(store: BackupStore, component: str, date: object) -> pd.DataFrame:
    """The readable snapshots of `component` for `date`: `all`, `last`, or the one valid at an instant.

    Archives that do not read are passed over (the newest readable one wins).
    """
    snaps = snapshots(store, component)

    def ok(row) -> bool:
        return _readable(store, component, row.rel)

    if is_all(date):
        return snaps[[ok(row) for row in snaps.itertuples(index=False)]].reset_index(drop=True)
    if not is_last(date):
        snaps = snaps[snaps["date"] <= at_instant(date, store.tz)]
    for position in range(len(snaps) - 1, -1, -1):
        if ok(snaps.iloc[position]):
            return snaps.iloc[[position]].reset_index(drop=True)
    return snaps.iloc[0:0].reset_index(drop=True)


def server_config(store: BackupStore, kind: str = "standard", date: object = "last", query: str = "/") -> pd.DataFrame:
    """getServerConfig: `standard` -> `date, section, id, key, value`; `customizations` -> the members."""
    _record_listing_errors(store)
    if kind not in COMPONENT_OF_KIND:
        raise ValueError(f"kind must be standard or customizations, not {kind!r}")
    chosen = choose(store, COMPONENT_OF_KIND[kind], date)
    if kind == "standard":
        parts = [
            standard_frame(_parsed(store, row.rel, "config"), row.date, query)
            for row in chosen.itertuples(index=False)
        ]
        return pd.concat(parts, ignore_index=True) if parts else standard_frame([], None, query)
    parts = [
        custom_frame(_summary(store, row.rel).members, row.date, row.name, query)
        for row in chosen.itertuples(index=False)
    ]
    return pd.concat(parts, ignore_index=True) if parts else custom_frame([], None, "", query)


def standard_frame(rows: list[tuple], date: object, query: str = "/") -> pd.DataFrame:
    """Config rows of one snapshot -> `date, section, id, key, value` (query applied)."""
    chosen = match_query(rows, query)
    frame = pd.DataFrame(chosen, columns=STANDARD_COLUMNS[1:])
    frame.insert(0, "date", pd.Series([date] * len(frame), dtype="datetime64[ns, UTC]"))
    return frame


def custom_frame(members: list[Member], date: object, archive: str, query: str = "/") -> pd.DataFrame:
    """Members of one customizations archive -> `date, archive, member, size, mode, sha256`."""
    prefix = (query or "/").strip().strip("/")
    rows = [
        (date, archive, m.name, m.size, f"{m.mode:04o}", m.sha256)
        for m in members
        if not prefix or m.name == prefix or m.name.startswith(prefix + "/")
    ]
    frame = pd.DataFrame(rows, columns=CUSTOM_COLUMNS)
    frame["date"] = pd.to_datetime(frame["date"], utc=True)
    frame["size"] = frame["size"].astype("int64")
    return frame


def config_snapshot(store: BackupStore, date: object, query: str = "/") -> tuple[pd.Timestamp | None, pd.DataFrame]:
    """The one config snapshot valid at `date` (not `all`): its date (None when none) and its rows."""
    if is_all(date):
        raise ValueError("a single snapshot is needed here: `last` or a date, not `all`")
    chosen = choose(store, "config", date)
    if chosen.empty:
        return None, standard_frame([], None, query)
    row = chosen.iloc[0]
    return row["date"], standard_frame(_parsed(store, row["rel"], "config"), row["date"], query)


def config_dates(store: BackupStore) -> list[pd.Timestamp]:
    """The dates of every readable config snapshot, oldest first."""
    return list(choose(store, "config", "all")["date"])


def customization_members(store: BackupStore, date: object) -> tuple[pd.Series | None, dict[str, Member]]:
    """The customizations snapshot valid at `date` (or named by its file name) and its members with bytes."""
    if isinstance(date, str) and date.strip().endswith(".tar.gz"):
        snaps = snapshots(store, "customizations")
        chosen = snaps[snaps["name"] == os.path.basename(date.strip())]
    else:
        chosen = choose(store, "customizations", date)
    if chosen.empty:
        return None, {}
    row = chosen.iloc[0]
    read = read_archive(store.evidence, row["rel"])
    return row, {m.name: m for m in read.members}


# -- a single archive file (getServerConfig `file`) ----------------------------------------------
def read_archive_file(path: str | os.PathLike, kind: str = "standard", query: str = "/", tz: str | None = None):
    """One server archive anywhere on disk (outside a backup path too) -> (frame, error rows, date).

    The date comes from the file name; a name that does not parse falls back to the member's tar mtime.
    """
    folder, name = os.path.split(os.path.realpath(os.fspath(path)))  # the file a user names, links resolved
    ev = Evidence(folder)
    errors: list[dict] = []
    try:
        _component, moment = parse_archive_name(name, tz)
        date = pd.Timestamp(moment)
    except ParseError as exc:
        errors.append(ErrorRecord(name, exc.kind, exc.detail).as_dict())
        date = None
    if kind == "customizations":
        read = read_archive(ev, name)
        errors.extend(read.errors)
        if date is None and read.members:
            date = pd.Timestamp(max(m.mtime for m in read.members), unit="s", tz="UTC")
        return custom_frame(read.members, date, name, query), errors, date
    read = read_archive(ev, name, want=lambda member: member == CONFIG_MEMBER)
    errors.extend(read.errors)
    member = _payload_member(read, CONFIG_MEMBER, errors)
    if date is None and member is not None:
        date = pd.Timestamp(member.mtime, unit="s", tz="UTC")
    rows = parse_payload(member, name, "config", errors)
    return standard_frame(rows or [], date, query), errors, date


# -- LDAP ----------------------------------------------------------------------------------------
def ldap(store: BackupStore, date: object = "last") -> dict[str, pd.DataFrame]:
    """The LDIF dump valid at `date` as frames: accounts, cos, domains, distribution_lists, and
    `unprotected` (the accounts whose effective COS carries `${ZxBackup_Disabled}`)."""
    _record_listing_errors(store)
    chosen = choose(store, "ldap", date)
    frames = {kind: [] for kind in RECORD_KINDS}
    for row in chosen.itertuples(index=False):
        records = _parsed(store, row.rel, "ldap")
        for kind in RECORD_KINDS:
            frames[kind].append(_ldap_frame(kind, records[kind], row.date))
    out = {
        kind: pd.concat(parts, ignore_index=True) if parts else _ldap_frame(kind, [], None)
        for kind, parts in frames.items()
    }
    accounts = out["accounts"]
    out["unprotected"] = accounts[accounts["backup_disabled"]].reset_index(drop=True)
    return out


def _ldap_frame(kind: str, records: list[dict], date: object) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=LDAP_COLUMNS[kind][1:])
    frame.insert(0, "date", pd.Series([date] * len(frame), dtype="datetime64[ns, UTC]"))
    if kind == "accounts":
        frame["created"] = pd.to_datetime(frame["created"].astype("Int64"), unit="ms", utc=True)
        frame["backup_disabled"] = frame["backup_disabled"].astype(bool)
    if kind == "cos":
        frame["backup_disabled"] = frame["backup_disabled"].astype(bool)
    return frame.sort_values("name", ignore_index=True, key=lambda s: s.astype(str).str.lower())


def _disabled_map(store: BackupStore, accounts: pd.DataFrame) -> dict[str, bool]:
    """account_id -> backup disabled, from the newest readable LDAP dump ({} when there is none).

    Accounts of the backup that the dump no longer holds (deleted ones) are judged by the COS
    their `account_info` names, else the `default` COS.
    """
    chosen = choose(store, "ldap", "last")
    if chosen.empty:
        return {}
    records = _parsed(store, chosen["rel"].iloc[0], "ldap")
    result = {a["account_id"]: a["backup_disabled"] for a in records["accounts"] if a["account_id"]}
    by_cos = {c["cos_id"]: c["backup_disabled"] for c in records["cos"] if c["cos_id"]}
    default = any(c["backup_disabled"] for c in records["cos"] if (c["name"] or "").lower() == DEFAULT_COS_NAME)
    for account_id, cos_id in zip(accounts["account_id"], accounts["cos_id"], strict=True):
        if account_id not in result:
            result[str(account_id)] = by_cos.get(cos_id, default) if isinstance(cos_id, str) else default
    return result


def backup_disabled_by_account(store: BackupStore) -> dict[str, bool]:
    """account_id -> whether the COS of the account disables its backup (empty without an LDAP dump)."""
    return _disabled_map(store, store._accounts)


def apply_backup_disabled(store: BackupStore, accounts: pd.DataFrame) -> pd.DataFrame:
    """Fill the accounts frame's `backup_disabled` from the LDAP dump; left <NA> when there is none."""
    mapping = _disabled_map(store, accounts)
    if mapping:
        values = [mapping.get(str(a), False) for a in accounts["account_id"]]
        accounts["backup_disabled"] = pd.array(values, dtype="boolean")
    return accounts
