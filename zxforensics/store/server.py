"""Server configuration over time (FORMAT.md §5): the `server/` archives of a backup path as frames.

`ServerArchives` is owned by its store: it lists `server/` once, reads every archive in place
(`evidence.tar`) and parses it once, and reports what cannot be read through the store's error
recorder. An archive that cannot be read is passed over when choosing the snapshot valid at a date,
so `last` is the newest snapshot that reads. The vendor's `date` semantics: `last`, `all`, or an
instant (`dd/MM/yyyy HH:mm:ss` in the server's zone): the newest snapshot taken at or before it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from datetime import tzinfo

import pandas as pd

from ..errors import DataError, ErrorRecord, EvidenceError, InvalidArgument, NotFound, ParseError
from ..evidence.files import Evidence
from ..evidence.tar import ArchiveRead, Member, read_archive
from ..format.archives import CONFIG_MEMBER, LDAP_MEMBER, parse_archive_name
from ..format.layout import SERVER_DIR
from ..parse.ldap_dump import DEFAULT_COS_NAME, RECORD_KINDS, ldap_records, parse_ldif
from ..parse.server_config import ROW_FIELDS, config_rows, match_query, parse_config
from .states import at_instant, is_all, is_last

ARCHIVE_COLUMNS = ["component", "date", "path", "size", "members"]
COMPONENT_OF_KIND = {"standard": "config", "customizations": "customizations"}  # getServerConfig's `type`
STANDARD_COLUMNS = ["date", *ROW_FIELDS]
CUSTOM_COLUMNS = ["date", "archive", "member", "size", "mode", "sha256"]
SNAPSHOT_COLUMNS = ["component", "date", "path", "rel", "name", "size"]
LDAP_COLUMNS = {
    "accounts": ["date", "account_id", "name", "display_name", "status", "cos_id", "effective_cos_id", "cos_name",
                 "cos_via", "backup_disabled", "mail_host", "aliases", "created", "is_admin", "dn"],
    "cos": ["date", "cos_id", "name", "notes", "backup_disabled", "dn"],
    "domains": ["date", "domain_id", "name", "status", "type", "default_cos_id", "dn"],
    "distribution_lists": ["date", "list_id", "name", "display_name", "status", "members", "aliases", "dn"],
}  # fmt: skip
# Error kinds that still leave a usable archive (a refused member, an odd name): not fatal for a lone file.
TOLERATED_KINDS = ("hostile_member", "bad_name", "too_large")


class ServerArchives:
    """The `server/` folder of one store: its listing, archive summaries and parsed payloads, each read
    once (archives never change under a read-only mount); failures go to the store's errors table."""

    def __init__(self, evidence: Evidence, tz: str | tzinfo, record: Callable[[list[dict]], None]) -> None:
        self.evidence = evidence
        self.tz = tz
        self._record = record
        self._listing: pd.DataFrame | None = None
        self._summaries: dict[str, ArchiveRead] = {}  # rel -> members without their bytes
        self._parsed: dict[str, object] = {}  # rel -> config rows or LDAP records (None: unreadable)
        self._listing_errors: list[dict] | None = None  # recorded when the server configuration is asked for

    # -- listing ---------------------------------------------------------------------------------
    def listing(self) -> pd.DataFrame:
        """Archives of `server/` by name (no archive opened); bad names become error rows once the
        server configuration itself is asked for (`archives`, `config`, `ldap`), not when the accounts
        only consult the LDAP dump."""
        if self._listing is not None:
            return self._listing
        rows, errors = [], []
        try:
            entries = self.evidence.scandir(SERVER_DIR)
        except EvidenceError as exc:
            entries = []
            if exc.kind != "missing":
                errors.append(ErrorRecord.of(exc, SERVER_DIR))
        for entry in entries:
            rel = f"{SERVER_DIR}/{entry.name}"
            if entry.is_dir(follow_symlinks=False):
                continue
            try:
                component, moment = parse_archive_name(entry.name, self.tz)
                size = self.evidence.size(rel)
            except DataError as exc:
                errors.append(ErrorRecord.of(exc, rel))
                continue
            rows.append((component, pd.Timestamp(moment), str(self.evidence.root / rel), rel, entry.name, size))
        frame = pd.DataFrame(rows, columns=SNAPSHOT_COLUMNS)
        frame["date"] = pd.to_datetime(frame["date"], utc=True)
        self._listing = frame.sort_values(["component", "date"], ignore_index=True)
        self._listing_errors = errors
        return self._listing

    def _record_listing_errors(self) -> None:
        self.listing()
        if self._listing_errors:
            self._record(self._listing_errors)
            self._listing_errors = []

    def snapshots(self, component: str) -> pd.DataFrame:
        """The archives of one component (`config`, `customizations`, `ldap`), oldest first."""
        listing = self.listing()
        return listing[listing["component"] == component].reset_index(drop=True)

    def archives(self) -> pd.DataFrame:
        """Every `server/` archive: `component, date, path, size, members` (regular members read)."""
        self._record_listing_errors()
        listing = self.listing()
        counts = [len(self._summary(rel).members) for rel in listing["rel"]]
        return listing.assign(members=pd.array(counts, dtype="Int64"))[ARCHIVE_COLUMNS]

    # -- reading archives ------------------------------------------------------------------------
    def _summary(self, rel: str) -> ArchiveRead:
        """An archive's members (sha256 computed, bytes dropped) and errors, read once."""
        if rel not in self._summaries:
            read = read_archive(self.evidence, rel)
            self._record(read.errors)
            read.members = [replace(m, data=None, digest=m.sha256) for m in read.members]
            self._summaries[rel] = read
        return self._summaries[rel]

    def read(self, rel: str, want: Callable[[str], bool] | None = None) -> ArchiveRead:
        """One archive of `server/` read in place: its members (bytes only for those `want` takes, all when
        None) and what was refused, which also goes to the errors table."""
        read = read_archive(self.evidence, rel, want=want)
        self._record(read.errors)
        return read

    def _payload(self, rel: str, component: str) -> object:
        """Config rows or LDAP records of one archive (None when unreadable, with error rows)."""
        if rel not in self._parsed:
            errors: list[dict] = []
            self._parsed[rel] = parse_member(self.evidence, rel, component, errors)
            self._record(errors)
        return self._parsed[rel]

    def readable(self, component: str, rel: str) -> bool:
        """Whether an archive reads: its payload parses (`config`, `ldap`), or the tar reads to its end."""
        if component in ("config", "ldap"):
            return self._payload(rel, component) is not None
        return self._summary(rel).ok

    # -- the vendor's date semantics -------------------------------------------------------------
    def choose(self, component: str, date: object) -> pd.DataFrame:
        """The readable snapshots of `component` for `date`: `all`, `last`, or the one valid at an
        instant. Archives that do not read are passed over (the newest readable one wins)."""
        snaps = self.snapshots(component)
        if is_all(date):
            keep = [self.readable(component, rel) for rel in snaps["rel"]]
            return snaps.loc[keep].reset_index(drop=True)  # `snaps[[]]` would select no column, not no row
        if not is_last(date):
            snaps = snaps[snaps["date"] <= at_instant(date, self.tz)]
        for position in range(len(snaps) - 1, -1, -1):
            if self.readable(component, snaps["rel"].iloc[position]):
                return snaps.iloc[[position]].reset_index(drop=True)
        return snaps.iloc[0:0].reset_index(drop=True)

    def config(self, kind: str = "standard", date: object = "last", query: str = "/") -> pd.DataFrame:
        """getServerConfig: `standard` -> `date, section, id, key, value`; `customizations` -> the members.

        `frame.attrs["snapshots"]` holds the snapshots the rows were taken from (`name, date`), so a face
        prints every chosen snapshot, even one with no row under the query."""
        if kind not in COMPONENT_OF_KIND:
            raise InvalidArgument(f"kind must be standard or customizations, not {kind!r}")
        self._record_listing_errors()
        chosen = self.choose(COMPONENT_OF_KIND[kind], date)
        if kind == "standard":
            parts = [standard_frame(self._payload(r.rel, "config"), r.date, query) for r in chosen.itertuples()]
            frame = pd.concat(parts, ignore_index=True) if parts else standard_frame([], None, query)
        else:
            parts = [custom_frame(self._summary(r.rel).members, r.date, r.name, query) for r in chosen.itertuples()]
            frame = pd.concat(parts, ignore_index=True) if parts else custom_frame([], None, "", query)
        frame.attrs["snapshots"] = chosen[["name", "date"]].copy()
        return frame

    def config_snapshot(self, date: object, query: str = "/") -> tuple[pd.Timestamp | None, pd.DataFrame]:
        """The one config snapshot valid at `date` (not `all`): its date (None when none) and its rows."""
        if is_all(date):
            raise InvalidArgument("a single snapshot is needed here: `last` or a date, not `all`")
        chosen = self.choose("config", date)
        if chosen.empty:
            return None, standard_frame([], None, query)
        row = chosen.iloc[0]
        return row["date"], standard_frame(self._payload(row["rel"], "config"), row["date"], query)

    def config_dates(self) -> list[pd.Timestamp]:
        """The dates of every readable config snapshot, oldest first."""
        return list(self.choose("config", "all")["date"])

    def customization_members(self, date: object) -> tuple[pd.Series | None, dict[str, Member]]:
        """The customizations snapshot valid at `date` (or named by its file name) and its members with bytes."""
        if isinstance(date, str) and date.strip().endswith(".tar.gz"):
            snaps = self.snapshots("customizations")
            chosen = snaps[snaps["name"] == os.path.basename(date.strip())]
        else:
            chosen = self.choose("customizations", date)
        if chosen.empty:
            return None, {}
        row = chosen.iloc[0]
        read = read_archive(self.evidence, row["rel"])
        self._record(read.errors)  # the same rows as its summary's: one per problem in the errors table
        return row, {m.name: m for m in read.members}

    # -- LDAP ------------------------------------------------------------------------------------
    def ldap(self, date: object = "last") -> dict[str, pd.DataFrame]:
        """The LDIF dump valid at `date` as frames: accounts, cos, domains, distribution_lists, and
        `unprotected` (the accounts whose effective COS carries `${ZxBackup_Disabled}`)."""
        self._record_listing_errors()
        chosen = self.choose("ldap", date)
        frames: dict[str, list] = {kind: [] for kind in RECORD_KINDS}
        for row in chosen.itertuples(index=False):
            records = self._payload(row.rel, "ldap")
            for kind in RECORD_KINDS:
                frames[kind].append(ldap_frame(kind, records[kind], row.date))
        out = {
            kind: pd.concat(parts, ignore_index=True) if parts else ldap_frame(kind, [], None)
            for kind, parts in frames.items()
        }
        accounts = out["accounts"]
        out["unprotected"] = accounts[accounts["backup_disabled"]].reset_index(drop=True)
        return out

    def backup_disabled(self, accounts: pd.DataFrame) -> dict[str, bool]:
        """account_id -> backup disabled, from the newest readable LDAP dump ({} when there is none).

        Accounts of the backup that the dump no longer holds (deleted ones) are judged by the COS
        their `account_info` names, else the `default` COS."""
        chosen = self.choose("ldap", "last")
        if chosen.empty:
            return {}
        records = self._payload(chosen["rel"].iloc[0], "ldap")
        result = {a["account_id"]: a["backup_disabled"] for a in records["accounts"] if a["account_id"]}
        by_cos = {c["cos_id"]: c["backup_disabled"] for c in records["cos"] if c["cos_id"]}
        default = any(c["backup_disabled"] for c in records["cos"] if (c["name"] or "").lower() == DEFAULT_COS_NAME)
        for account_id, cos_id in zip(accounts["account_id"], accounts["cos_id"], strict=True):
            if account_id not in result:
                result[str(account_id)] = by_cos.get(cos_id, default) if isinstance(cos_id, str) else default
        return result


# -- pure helpers: payloads and frames ------------------------------------------------------------
def _payload_member(read: ArchiveRead, member: str, errors: list[dict]) -> Member | None:
    """The member named `member` with its bytes (the last of duplicates), or an error row when it is absent."""
    found = [m for m in read.members if m.name == member and m.data is not None]
    if not found and read.ok:
        errors.append(ErrorRecord(read.path, "missing", f"no member {member!r} in the archive").as_dict())
    return found[-1] if found else None


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


def standard_frame(rows: list[tuple] | None, date: object, query: str = "/") -> pd.DataFrame:
    """Config rows of one snapshot -> `date, section, id, key, value` (query applied)."""
    chosen = match_query(rows or [], query)
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


def ldap_frame(kind: str, records: list[dict], date: object) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=LDAP_COLUMNS[kind][1:])
    frame.insert(0, "date", pd.Series([date] * len(frame), dtype="datetime64[ns, UTC]"))
    if kind == "accounts":
        frame["created"] = pd.to_datetime(frame["created"].astype("Int64"), unit="ms", utc=True)
        frame["backup_disabled"] = frame["backup_disabled"].astype(bool)
    if kind == "cos":
        frame["backup_disabled"] = frame["backup_disabled"].astype(bool)
    return frame.sort_values("name", ignore_index=True, key=lambda s: s.astype(str).str.lower())


# -- a single archive file (getServerConfig `file`) -----------------------------------------------
def read_archive_file(path: str | os.PathLike, kind: str = "standard", query: str = "/", tz: str | None = None):
    """One server archive a user names, anywhere on disk -> (frame, error rows, date).

    The date comes from the file name; a name that does not parse falls back to the member's tar mtime.
    Raises NotFound for a missing file, and the first fatal error when nothing could be read."""
    real = os.path.realpath(os.fspath(path))  # the file a user names, links resolved
    if not os.path.isfile(real):
        raise NotFound(f"{path}: no such archive file")
    folder, name = os.path.split(real)
    ev = Evidence(folder)
    errors: list[dict] = []
    try:
        _component, moment = parse_archive_name(name, tz)
        date = pd.Timestamp(moment)
    except ParseError as exc:
        errors.append(ErrorRecord.of(exc, name))
        date = None
    if kind == "customizations":
        read = read_archive(ev, name)
        errors.extend(read.errors)
        if date is None and read.members:
            date = pd.Timestamp(max(m.mtime for m in read.members), unit="s", tz="UTC")
        frame = custom_frame(read.members, date, name, query)
    else:
        read = read_archive(ev, name, want=lambda member: member == CONFIG_MEMBER)
        errors.extend(read.errors)
        member = _payload_member(read, CONFIG_MEMBER, errors)
        if date is None and member is not None:
            date = pd.Timestamp(member.mtime, unit="s", tz="UTC")
        frame = standard_frame(parse_payload(member, name, "config", errors), date, query)
    fatal = [e for e in errors if e["kind"] not in TOLERATED_KINDS]
    if frame.empty and fatal:
        raise EvidenceError(fatal[0]["kind"], fatal[0]["detail"], str(path))
    return frame, errors, date
