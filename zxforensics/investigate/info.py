"""The facts behind the vendor's info verbs (getBackupInfo, getAvailableAccounts, getAccountInfo,
getCOSBackupStatus), offline: what a monitoring script asks of a live server, read from the backup.

Every function asks the store only for cheap things (`backupstat`, the account headers, the LDAP
dump); only `account_stats` reads an account's item metadata, and only when asked.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

import pandas as pd

from ..errors import ErrorRecord, InvalidArgument, NotFound
from ..format import layout
from ..format.dates import parse_user_date
from ..format.keys import get_folded

if TYPE_CHECKING:
    from ..store.backup import BackupStore

EPOCH = pd.Timestamp(0, unit="ms", tz="UTC")  # "never", as the vendor prints it
# [vendor, FORMAT.md §1] the backupstat keys getBackupInfo prints, in its order.
STAT_DATES = ("firstScan", "lastScan")
STAT_COUNTS = ("numActiveBackupedAccounts", "numCheckedAccounts")
# [Zimbra] LDAP attributes that mark the accounts Zimbra creates for itself.
SYSTEM_ATTRIBUTES = ("zimbraIsSystemAccount", "zimbraIsSystemResource")
# [Zimbra] names it gives them when an old dump lacks those attributes: `galsync@` or `galsync.<random>@`
# (zmprov createGalSyncAccount), `spam.<random>@`, `ham.<random>@`, `virus-quarantine.<random>@` (zmsetup).
SYSTEM_NAME_RE = re.compile(r"^(?:galsync(?:\.[^@]*)?|(?:spam|ham|virus-quarantine)\.[^@]+)@", re.IGNORECASE)
INTERVAL_COLUMNS = ["start", "end", "current"]
COS_COLUMNS = ["cos_id", "name", "backup_enabled", "accounts"]


# -- backupstat -------------------------------------------------------------------------------------
def stat_count(value: object) -> int | None:
    """A backupstat count: a non-negative integer (or its text); None when absent or odd."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and 0 <= value < 2**63 else None


def backup_info(store: BackupStore) -> dict:
    """`serverId`, `firstScan`, `lastScan` (UTC, the epoch for never), `numActiveBackupedAccounts`,
    `numCheckedAccounts`, and where each count came from.

    A date that is absent or no date is "never", with an errors row when present but odd. A count
    that is absent or odd is counted from `accounts/` (active: neither deleted nor in a COS that
    disables backup; checked: every account folder), with an errors row: a script reading it gets a
    number it can compare, and the errors table says it is not the server's."""
    stat = store.backupstat()  # range-checked: an odd field is already left out, with its errors row
    info: dict = {"serverId": get_folded(stat, "serverid")}
    problems = []
    for key, when in zip(STAT_DATES, store.scan_dates(), strict=True):
        info[key] = when if when is not None else EPOCH
    counted = None
    for key in STAT_COUNTS:
        raw = get_folded(stat, key.lower())
        info[key] = stat_count(raw)
        info[f"{key}_source"] = "backupstat"
        if info[key] is None:
            counted = counted if counted is not None else _counted(store)
            info[key] = counted[key]
            info[f"{key}_source"] = "accounts"
            problems.append(f"{key} {'absent' if raw is None else repr(str(raw)[:40])}; counted from accounts/")
    if problems and layout.BACKUPSTAT in store.top_level():  # an absent one: a store without statistics
        store.record_errors([ErrorRecord(layout.BACKUPSTAT, "invalid_metadata", p).as_dict() for p in problems])
    return info


def _counted(store: BackupStore) -> dict[str, int]:
    accounts = store.accounts(counts=False)
    live = ~accounts["deleted"] & ~accounts["backup_disabled"].fillna(False).astype(bool)
    return {"numActiveBackupedAccounts": int(live.sum()), "numCheckedAccounts": len(accounts)}


# -- accounts ---------------------------------------------------------------------------------------
def system_accounts(accounts: pd.DataFrame) -> pd.Series:
    """Which rows of `store.accounts(extra=True)` are Zimbra's own accounts (GAL sync, spam/ham
    training, virus quarantine): a TRUE `zimbraIsSystemAccount`/`zimbraIsSystemResource`, or, where a
    dump lacks both attributes, the name Zimbra gives them."""
    flagged = pd.Series(False, index=accounts.index)
    columns = {c.lower(): c for c in accounts.columns}
    for attribute in SYSTEM_ATTRIBUTES:
        column = columns.get(f"attr_{attribute.lower()}")
        if column is not None:
            flagged |= accounts[column].map(_is_true)
    named = accounts["name"].map(lambda n: isinstance(n, str) and bool(SYSTEM_NAME_RE.match(n)))
    return flagged | named


def _is_true(value: object) -> bool:
    if isinstance(value, list):
        return any(_is_true(v) for v in value)
    return str(value).strip().upper() == "TRUE"


def available_accounts(store: BackupStore, hide_deleted: bool = False, hide_system: bool = True,
                       domains: list[str] | None = None, date: object = "last") -> pd.DataFrame:
    """The accounts getAvailableAccounts lists: `store.accounts(counts=False)` columns plus `system` and
    `out_of_backup` (deleted, or in a COS that disables backup: the vendor treats both as deleted).

    `hide_deleted` hides those out of backup; `hide_system` Zimbra's own accounts; `domains` keeps
    the named mail domains; `date` (not `last`) keeps the accounts whose backup interval covers it."""
    every = store.accounts(extra=True, counts=False)
    accounts = every[[c for c in every.columns if not c.startswith("attr_")]].copy()
    accounts["system"] = system_accounts(every)
    accounts["out_of_backup"] = accounts["deleted"] | accounts["backup_disabled"].fillna(False).astype(bool)
    keep = pd.Series(True, index=accounts.index)
    if hide_deleted:
        keep &= ~accounts["out_of_backup"]
    if hide_system:
        keep &= ~accounts["system"]
    if domains:
        wanted = {d.strip().lower().lstrip("@") for d in domains if d.strip()}
        keep &= accounts["name"].map(lambda n: isinstance(n, str) and n.rpartition("@")[2].lower() in wanted)
    if date is not None and str(date).lower() != "last":
        instant = pd.Timestamp(parse_user_date(date, store.tz))
        first = backup_info(store)["firstScan"]
        held = [account_span(row, first).covers(instant) for row in accounts.to_dict("records")]
        keep &= pd.Series(held, index=accounts.index, dtype=bool)
    return accounts[keep].reset_index(drop=True)


# -- one account --------------------------------------------------------------------------------------
def account_record(store: BackupStore, account: str) -> dict:
    """`store.account_record(account)`, or NotFound with the vendor's sentence for a script to grep."""
    try:
        return store.account_record(account)
    except NotFound:
        raise NotFound(f"Can't find the backup folder for the account {account}") from None


class Span(NamedTuple):
    """A span during which the backup kept an account; `current` ones end `now`."""

    start: pd.Timestamp  # NaT when unknown
    end: pd.Timestamp  # NaT when current or unknown
    current: bool

    def covers(self, instant: pd.Timestamp) -> bool:
        """Whether it holds `instant` (an unknown start holds every earlier instant)."""
        after_start = pd.isna(self.start) or self.start <= instant
        return after_start and (self.current or pd.isna(self.end) or instant <= self.end)


def account_span(row: dict, first_scan: pd.Timestamp | None) -> Span:
    """The span of an account row (`store.accounts()`): the backup keeps one account_info, so one span.

    It starts when both the account and the backup existed (the later of `zimbraCreateTimestamp` and
    the backup's first scan; unknown, NaT, when neither is known). It ends at the deletion (else the
    account's last scan) for a deleted account, at its last scan for an account whose COS disables
    backup (from then on the backup treats it as deleted), and is current (`end date now`) otherwise."""
    known = [t for t in (_known(row.get("created")), _known(first_scan)) if t is not None]
    start = max(known) if known else pd.NaT
    disabled = row.get("backup_disabled")
    disabled = False if disabled is None or disabled is pd.NA else bool(disabled)
    if row.get("deleted"):
        return Span(start, _known(row.get("deleted_date")) or _known(row.get("last_scan")) or pd.NaT, False)
    if disabled:
        return Span(start, _known(row.get("last_scan")) or pd.NaT, False)
    return Span(start, pd.NaT, True)


def _known(value: object) -> pd.Timestamp | None:
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    stamp = pd.Timestamp(value)
    return None if stamp.value <= 0 else stamp


def account_intervals(store: BackupStore, account: str, date: object = "all") -> pd.DataFrame:
    """getAccountInfo's spans of an account (`start`, `end`, `current`): `all`, `most_recent`,
    `least_recent`, or the one holding a `dd/MM/yyyy HH:mm:ss` instant (NotFound when none does)."""
    spans = [account_span(account_record(store, account), backup_info(store)["firstScan"])]
    choice = str(date or "all").lower()
    if choice == "most_recent":
        spans = spans[-1:]
    elif choice == "least_recent":
        spans = spans[:1]
    elif choice != "all":
        instant = pd.Timestamp(parse_user_date(date, store.tz))
        spans = [span for span in spans if span.covers(instant)]
        if not spans:
            raise NotFound(f"the backup holds no state of the account {account} at {date}")
    return pd.DataFrame({"start": pd.to_datetime([s.start for s in spans], utc=True),
                         "end": pd.to_datetime([s.end for s in spans], utc=True),
                         "current": [s.current for s in spans]}, columns=INTERVAL_COLUMNS)


def account_stats(store: BackupStore, account: str) -> dict:
    """`backupstats true`: items, states, bytes (the metadata size of each distinct blob the
    account's states name) and the newest change (UTC), from the account's item metadata."""
    account_id = account_record(store, account)["account_id"]
    states = store.item_states([account_id])
    blobs = states.dropna(subset=["digest"]).drop_duplicates("digest")
    newest = states["start_date"].max() if len(states) else pd.NaT
    return {"items": int(states["item_id"].nunique()), "states": len(states),
            "bytes": int(pd.to_numeric(blobs["size"], errors="coerce").fillna(0).sum()),
            "newest_change": newest}  # fmt: skip


# -- classes of service -------------------------------------------------------------------------------
def cos_backup_status(store: BackupStore, cos_name: str | None = None) -> pd.DataFrame:
    """getCOSBackupStatus from the newest LDAP dump: every COS, whether backup is enabled (its notes
    lack `${ZxBackup_Disabled}`), and how many accounts it holds as their effective COS."""
    dump = store.ldap("last")
    cos, accounts = dump["cos"], dump["accounts"]
    counts = accounts["effective_cos_id"].value_counts()
    frame = pd.DataFrame({
        "cos_id": cos["cos_id"], "name": cos["name"], "backup_enabled": ~cos["backup_disabled"].astype(bool),
        "accounts": [int(counts.get(c, 0)) for c in cos["cos_id"]],
    }, columns=COS_COLUMNS)  # fmt: skip
    frame = frame.sort_values("name", key=lambda s: s.fillna("").str.lower(), ignore_index=True)
    if cos_name:
        chosen = frame[(frame["name"].fillna("").str.lower() == cos_name.lower()) | (frame["cos_id"] == cos_name)]
        if chosen.empty:
            known = ", ".join(frame["name"].dropna()) or "none (no LDAP dump in server/)"
            raise InvalidArgument(f"no COS named {cos_name!r} in the LDAP dump (known: {known})")
        return chosen.reset_index(drop=True)
    return frame
