"""The vendor's info verbs, offline: getBackupInfo, getAvailableAccounts, getAccountInfo, getCOSBackupStatus.

Monitoring scripts read their text with grep and awk, so the layout keeps the value of every key
as the second whitespace-separated field (a date and its time as the second and third), sections
named as the vendor names them (`accountMap`), and the vendor's sentence for an absent account.
"""

from __future__ import annotations

import pandas as pd

from ..errors import NotFound
from ..format.dates import format_info_date
from ..format.text import escape, render
from ..investigate import info
from .common import BACKUP_PATH, TZ, open_store
from .registry import Param, Result, UsageError, verb

OUTPUT_HEADERS = ("accountMap", "accountList", "accountIdList", "accountAndIdList")
BOOL = ("true", "false")


@verb("getBackupInfo", (), {"backup_path": BACKUP_PATH, "tz": TZ}, optional_positionals=("path",),
      help="The backup's first and last scan and its account counts (from backupstat), e.g.\n"
      "zxforensics getBackupInfo /opt/zimbra/backup/zextras/   # `grep lastScan | awk '{print $2,$3}'` works")
def get_backup_info(values: dict, options: dict) -> Result:
    store = open_store({**values, "backup_path": values["backup_path"] or values["path"]}, options)
    facts = info.backup_info(store)
    keys = ["serverId", *info.STAT_DATES, *info.STAT_COUNTS]
    shown = {k: format_info_date(facts[k], store.tz) if k in info.STAT_DATES else facts[k] for k in keys}
    frame = pd.DataFrame([{k: facts[k] for k in keys}])
    return Result(frame, render(list(shown.items())))


@verb(
    "getAvailableAccounts",
    (),
    {"backup_path": BACKUP_PATH, "date": Param("date", "last", help='"dd/MM/yyyy HH:mm:ss"|last'),
     "domains": Param("string", None, help="Domain Name[,..] (default all)"),
     "hide_deleted": Param("bool", False, BOOL), "hide_system_accounts": Param("bool", True, BOOL),
     "output_headers": Param("string", "accountMap", help="|".join(OUTPUT_HEADERS) + "[,...]"), "tz": TZ},
    help="List the accounts a backup path holds: `accountMap` (address and zimbraId) by default.\n"
    "System accounts (GAL sync, spam/ham, virus quarantine) are hidden unless hide_system_accounts false;\n"
    "hide_deleted true also hides the accounts a COS keeps out of backup (the vendor treats them as deleted).",
)
def get_available_accounts(values: dict, options: dict) -> Result:
    headers = [h.strip() for h in str(values["output_headers"]).split(",") if h.strip()]
    unknown = [h for h in headers if h not in OUTPUT_HEADERS]
    if unknown or not headers:
        raise UsageError(f"command getAvailableAccounts: output_headers must be among {','.join(OUTPUT_HEADERS)},"
                         f" not {values['output_headers']!r}", "getAvailableAccounts")  # fmt: skip
    store = open_store(values, options)
    domains = values["domains"].split(",") if values["domains"] else None
    accounts = info.available_accounts(store, values["hide_deleted"], values["hide_system_accounts"], domains,
                                       values["date"])  # fmt: skip
    pairs = [(str(n) if isinstance(n, str) else str(a), str(a)) for n, a in zip(accounts["name"],
                                                                                accounts["account_id"], strict=True)]
    sections = {
        "accountMap": [(name, account_id) for name, account_id in pairs],
        "accountList": [(name, "") for name, _ in pairs],
        "accountIdList": [(account_id, "") for _, account_id in pairs],
        "accountAndIdList": [(f"{name} {account_id}", "") for name, account_id in pairs],
    }
    return Result(accounts, render([(h, sections[h] or "") for h in headers]))


@verb(
    "getAccountInfo",
    ("account",),
    {"backup_path": BACKUP_PATH,
     "date": Param("string", "most_recent", help='most_recent|least_recent|all|"dd/MM/yyyy HH:mm:ss"'),
     "backupstats": Param("bool", False, BOOL), "tz": TZ},
    help="An account as backed up: its state intervals (`end date now` while it is backed up), item count\n"
    "and attributes; `backupstats true` adds items, states, bytes and the newest change (reads its items).\n"
    "An account the backup does not hold prints the vendor's `Can't find the backup folder for the account`.",
)
def get_account_info(values: dict, options: dict) -> Result:
    store = open_store(values, options)
    try:
        row = info.account_record(store, values["account"])
    except NotFound as exc:  # on stdout, where scripts look for the vendor's sentence
        return Result(None, escape(str(exc)), exit_code=2)
    spans = info.account_intervals(store, values["account"], values["date"])
    tz = store.tz
    tree: list[tuple[str, object]] = [
        ("account", row["name"] if isinstance(row["name"], str) else row["account_id"]),
        ("zimbraId", row["account_id"]),
        ("status", row["status"]),
        ("deleted", bool(row["deleted"])),
        ("backupDisabled", bool(row["backup_disabled"]) if row["backup_disabled"] is not pd.NA else False),
        ("items", int(row["item_count"])),
        ("lastScan", format_info_date(_stamp(row["last_scan"]), tz)),
        ("states", [[("start date", format_info_date(_stamp(s.start), tz)),
                     ("end date", "now" if s.current else format_info_date(_stamp(s.end), tz))]
                    for s in spans.itertuples(index=False)]),
    ]  # fmt: skip
    frame = spans.assign(account=row["name"], account_id=row["account_id"], items=int(row["item_count"]))
    if values["backupstats"]:
        stats = info.account_stats(store, row["account_id"])
        tree.append(("backupStats", [("items", stats["items"]), ("states", stats["states"]),
                                     ("bytes", stats["bytes"]),
                                     ("newestChange", format_info_date(_stamp(stats["newest_change"]), tz))]))
        frame = frame.assign(**{k: v for k, v in stats.items() if k != "items"}, items=stats["items"])
    tree.append(("accountInfo", [(str(k), v) for k, v in row["info"].items()] or ""))
    return Result(frame, render(tree))


def _stamp(value: object) -> pd.Timestamp | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value)


@verb("getCOSBackupStatus", (), {"backup_path": BACKUP_PATH, "tz": TZ}, optional_positionals=("cos_name",),
      help="Every class of service of the newest LDAP dump: backup enabled or disabled\n"
      "(`${ZxBackup_Disabled}` in its notes) and how many accounts it holds.")
def get_cos_backup_status(values: dict, options: dict) -> Result:
    store = open_store(values, options)
    frame = info.cos_backup_status(store, values["cos_name"])
    groups = [[("name", r.name), ("zimbraId", r.cos_id), ("backupEnabled", bool(r.backup_enabled)),
               ("accounts", int(r.accounts))] for r in frame.itertuples(index=False)]  # fmt: skip
    return Result(frame, render([("cosList", groups or "")]))
