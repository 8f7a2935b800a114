"""Verbs of the restore investigation: `unrestored` (why a report's items were left behind) and
`doExternalRestore` (the pre-flight check: what a restore of this backup would leave behind, restoring nothing)."""

from __future__ import annotations

import pandas as pd

from ..format.text import render
from ..investigate.diagnose import CAUSES, cause_counts, diagnose, preflight
from ..parse.notification import ADDS_UP
from ..store.inputs import read_notification
from .common import BACKUP_PATH, TZ, blob_lines, open_store
from .registry import Param, Result, verb


def item_groups(diagnosis: pd.DataFrame) -> list[list[tuple[str, object]]]:
    """One group of `key value` lines per diagnosed item, in the getItem layout."""
    groups = []
    for row in diagnosis.itertuples(index=False):
        group: list[tuple[str, object]] = [
            ("account", row.account), ("itemId", row.item_id), ("cause", row.cause), ("detail", row.detail),
            ("type", row.type), ("folder", row.folder_path), ("states", row.states),
            ("lastValidState", row.last_valid_state), ("recoverableEml", bool(row.recoverable_eml)),
        ]  # fmt: skip
        group += blob_lines(row.digest, row.blob_path)
        groups.append(group)
    return groups


def count_lines(table: pd.DataFrame) -> list[tuple[str, object]]:
    """One line per account of a cause_counts table (`read_error 2, broken 1`, causes with no item left
    out), then the total."""

    def counts(values) -> str:
        return ", ".join(f"{cause} {int(n)}" for cause, n in zip(CAUSES, values, strict=True) if n) or "none"

    lines: list[tuple[str, object]] = [(str(account), counts(row)) for account, row in table.iterrows()]
    return [*lines, ("total", counts(table.sum()))] if lines else []


@verb(
    "unrestored",
    ("notification",),
    {"backup_path": BACKUP_PATH, "tz": TZ},
    help="Why each unrestored item of an Operation Completed notification (.txt or .eml) was left behind, e.g.\n"
    "zxforensics unrestored restore_report.eml backup_path /mnt/import/",
)
def unrestored(values: dict, options: dict) -> Result:
    report = read_notification(values["notification"])
    store = open_store(values, options)
    diagnosis = diagnose(store, report)
    checks = report.check() or [ADDS_UP]
    tree = [
        *report.operation.items(),
        ("stats", list(report.stats.items())),
        ("checks", [[("check", text)] for text in checks]),
        ("causes", count_lines(cause_counts(diagnosis)) or ""),
        ("unrestoredItems", item_groups(diagnosis) or ""),
    ]
    return Result(diagnosis, render(tree))


@verb(
    "doExternalRestore",
    ("source_path",),
    {"accounts": Param("string", None, help="comma-separated accounts (default: all)"), "tz": TZ},
    help="Pre-flight only, nothing is restored: which items of the backup path a restore would leave\n"
    "behind, and why (--json/--csv list those items; restorable ones are counted, not listed), e.g.\n"
    "zxforensics doExternalRestore /mnt/import/ accounts account1@domain.com,account2@domain.com",
)
def do_external_restore(values: dict, options: dict) -> Result:
    store = open_store({**values, "backup_path": values["source_path"]}, options)
    checked = preflight(store, accounts=values["accounts"])
    failing = checked.failures
    tree = [
        ("preflight", [("backupPath", str(store.root)), ("restored", "nothing (pre-flight check only)"),
                       ("items", checked.items), ("wouldFail", len(failing))]),
        ("accounts", count_lines(checked.counts) or ""),
        ("itemsThatWouldFail", item_groups(failing) or ""),
    ]  # fmt: skip
    return Result(failing, render(tree))
