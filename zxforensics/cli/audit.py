"""Audit verbs: doCoherencyCheck, doCheckShares, getMap, doFixShares, getAllOperations,
compareCopies and retention. Detection only: none of them writes anything."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import ZxError
from ..format.text import render
from ..investigate.shares import SHARE_SHOWN
from ..runtime.cluster import connect
from .common import BACKUP_PATH, SCHEDULER, TZ, open_store, vendor_date
from .registry import Param, Result, verb

DAYS = Param("int", 30, help="days; 0 = keep forever")


def _pairs(row: dict, tz: str) -> list[tuple[str, object]]:
    return [(k, vendor_date(v, tz) if isinstance(v, pd.Timestamp) else v) for k, v in row.items()]


def _groups(frame: pd.DataFrame, tz: str, columns: list[str] | None = None) -> list:
    frame = frame if columns is None else frame[columns]
    return [_pairs(row, tz) for row in frame.to_dict("records")]


@verb(
    "doCoherencyCheck",
    ("backup_path",),
    {"accountIds": Param("string", None, help="comma-separated accounts (zimbraId or address)"),
     "workers": Param("int", None, help="processes verifying blobs (default: every core)"),
     "scheduler": SCHEDULER, "tz": TZ},
    help="Check a backup path offline: metadata, blob digests (every blob decompressed and hashed), layout,\n"
    "lock and backupstat. Detection only: there is no fix option, nothing is written. Exit code 1 when\n"
    "a finding of severity `error` is found, e.g.\n"
    "zxforensics doCoherencyCheck /mnt/backup accountIds alice@example.com\n"
    "With `scheduler ADDR` the blobs are verified on that Dask cluster (every worker mounts the backup\n"
    "path read-only at the same path); the metadata is read here.",
)
def do_coherency_check(values: dict, options: dict) -> Result:
    from ..investigate.coherency import audit, counts

    store = open_store(values, options)
    client = connect(values["scheduler"]) if values.get("scheduler") else None
    try:
        found = audit(store, values["accountIds"], workers=values["workers"], client=client)
    finally:
        if client is not None:
            client.close()
    shown = found.assign(account=[store.account_name(a) if isinstance(a, str) else None for a in found["account_id"]])
    tree = [("summary", [(f"{r.severity} {r.kind}", r.findings) for r in counts(found).itertuples()] or "clean")]
    columns = ["kind", "severity", "account", "item_id", "path", "detail"]
    if len(found):
        tree.append(("findings", _groups(shown, store.tz, columns)))
    errors = int((found["severity"] == "error").sum())
    return Result(found, render(tree), exit_code=1 if errors else 0)


@verb("doCheckShares", (), {"backup_path": BACKUP_PATH, "tz": TZ},
      help="Check every share of the backup: grants (zimbraSharedItem) and mountpoints, with a status.")
def do_check_shares(values: dict, options: dict) -> Result:
    store = open_store(values, options)
    found = store.shares()
    broken = int((found["status"] != "ok").sum())
    tree = [("shares", _groups(found, store.tz, SHARE_SHOWN) or ""), ("broken", broken)]
    return Result(found, render(tree))


@verb("getMap", ("file",), {}, help="Show an import map (map_<serverId>, Java-serialized or text) or id_mapper.log.")
def get_map(values: dict, options: dict) -> Result:
    from ..store.inputs import read_id_mapper, read_map

    path = Path(values["file"])
    frame = read_id_mapper(path) if path.name.startswith("id_mapper") else read_map(path)
    return Result(frame, render([("map", _groups(frame.astype(str), "UTC") or "")]))


@verb("doFixShares", ("import_idmap_file",), {"backup_path": BACKUP_PATH, "tz": TZ},
      help="Plan only: list the share ids that the map (and the accounts' id_mapper.log) would rewrite.\n"
      "Nothing is changed, e.g. zxforensics doFixShares /mnt/backup/map_<serverId> backup_path /mnt/backup")
def do_fix_shares(values: dict, options: dict) -> Result:
    from ..investigate.shares import fix_shares_plan
    from ..store.inputs import read_map

    store = open_store(values, options)
    plan = fix_shares_plan(store, read_map(Path(values["import_idmap_file"])))
    tree = [("plan", _groups(plan.drop(columns="account_id"), store.tz) or ""), ("changes", len(plan))]
    return Result(plan, render(tree))


@verb("getAllOperations", ("file",), {"tz": TZ},
      help="Parse a saved getAllOperations output (verbose or not) into a table; dates in the server's zone.")
def get_all_operations(values: dict, options: dict) -> Result:
    from ..store.backup import server_zone
    from ..store.inputs import read_operations

    tz = server_zone(values["tz"] or options.get("tz"))[0]
    frame = read_operations(Path(values["file"]), tz=tz)
    return Result(frame, render([("operations", _groups(frame, tz) or "")]))


@verb("compareCopies", ("original", "copy"), {"workers": Param("int", None)},
      help="Verify an rsync'd copy of a backup path: missing, extra and differing files (every file hashed),\n"
      "and whether the copy's filesystem is case sensitive. Exit code 1 when the copy differs.")
def compare_copies_verb(values: dict, options: dict) -> Result:
    from ..investigate.copies import compare_copies

    for side in ("original", "copy"):
        if not Path(values[side]).is_dir():
            raise ZxError(f"{side}: {values[side]} is not a folder")
    result = compare_copies(values["original"], values["copy"], workers=values["workers"])
    diff = result.differences()
    tree = [("summary", [(r.metric, r.value) for r in result.summary().itertuples()]),
            ("differences", _groups(diff, "UTC", ["path", "status", "original_size", "copy_size", "detail"]) or "")]
    return Result(diff, render(tree), exit_code=1 if len(diff) or result.case_sensitive is False else 0)


@verb(
    "retention",
    (),
    {"backup_path": BACKUP_PATH, "data_retention_days": DAYS, "account_retention_days": DAYS,
     "date": Param("date", None, help="dd/MM/yyyy HH:mm:ss (default: the last scan)"), "tz": TZ},
    help="What a Backup Purge at `date` would remove (deleted items, deleted or backup-disabled accounts)\n"
    "and the blob bytes it would free. 0 days keeps forever, as the vendor does.",
)
def retention_verb(values: dict, options: dict) -> Result:
    store = open_store(values, options)
    plan = store.retention(values["data_retention_days"], values["account_retention_days"], values["date"])
    accounts, items = plan.purged_accounts(), plan.purged_items()
    tree = [("retention", [(r.metric, r.value) for r in plan.summary().itertuples()]),
            ("accounts", _groups(accounts, store.tz, ["account", "reason", "since", "items", "states"]) or ""),
            ("items", _groups(items, store.tz, ["account", "item_id", "type", "since", "subject"]) or "")]  # fmt: skip
    frame = pd.concat([accounts.assign(scope="account"), items.assign(scope="item")], ignore_index=True)
    return Result(frame, render(tree))
