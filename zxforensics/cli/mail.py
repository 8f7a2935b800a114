"""Verbs of the hand-over: `exportMailbox` (a mailbox as it was at a date) and `doContentSearch`
(the mails whose decoded text holds a pattern)."""

from __future__ import annotations

from ..format.text import render
from ..investigate.content_search import search_content
from ..investigate.mailbox_export import EXPORT_FORMATS, export_errors, export_mailbox
from ..parse.mail_text import SEARCH_FIELDS
from .common import BACKUP_PATH, TZ, open_store, vendor_date
from .registry import Param, Result, verb

DATE = Param("date", None, help="dd/MM/yyyy HH:mm:ss|last")


def flag(default: bool) -> Param:
    return Param("bool", default, ("true", "false"))


@verb(
    "exportMailbox",
    ("account",),
    {"out": Param("path", None, help="a new or empty folder (never inside the backup path)", required=True,
                  metavar="DIR"),
     "date": Param("date", "last", help="dd/MM/yyyy HH:mm:ss|last"),
     "format": Param("string", "maildir", EXPORT_FORMATS),
     "include_deleted": flag(False),
     "folder": Param("string", None, help="a folder path, e.g. /Inbox (its subfolders too)"),
     "backup_path": BACKUP_PATH, "tz": TZ},
    help="Write an account's mailbox as it was at a date (Maildir++, one mbox per folder, or .eml files),\n"
    "with manifest.csv and manifest.json; items deleted by then go to `Deleted in backup` with include_deleted,\n"
    "e.g. zxforensics exportMailbox alice@example.com out /tmp/alice date '15/07/2013 00:00:00' format mbox",
)
def export_mailbox_verb(values: dict, options: dict) -> Result:
    store = open_store(values, options)
    manifest = export_mailbox(store, values["account"], values["out"], values["date"], values["format"].lower(),
                              values["include_deleted"], values["folder"])  # fmt: skip
    failed = export_errors(store, values["account"])
    summary = [
        ("account", store.account_name(store.resolve_account(values["account"]))), ("date", values["date"]),
        ("format", values["format"].lower()), ("out", values["out"]), ("messages", len(manifest)),
        ("folders", manifest["folder"].nunique()), ("deleted", int(manifest["deleted"].sum())),
        ("verified", bool(manifest["verified"].all())), ("notExported", len(failed)),
    ]  # fmt: skip
    groups = [[("itemId", row.item_id), ("kind", row.kind), ("detail", row.detail)] for row in failed.itertuples()]
    tree = [("exportMailbox", summary), *([("notExported", groups)] if groups else [])]
    return Result(manifest, render(tree), exit_code=1 if groups else 0)


@verb(
    "doContentSearch",
    ("pattern",),
    {"accounts": Param("string", None, help="account1,account2 (default: every account)"),
     "date": DATE, "regex": flag(False), "include_deleted": flag(True),
     "fields": Param("string", ",".join(SEARCH_FIELDS), help="comma-separated among these"),
     "backup_path": BACKUP_PATH, "tz": TZ},
    help="Search inside the mails (decoded bodies in their charset, subject, from, to, attachment names),\n"
    "deleted ones included: every state, or each item's state at `date`, e.g.\n"
    "zxforensics doContentSearch 'invoice 4711' accounts alice@example.com",
)
def do_content_search(values: dict, options: dict) -> Result:
    store = open_store(values, options)
    hits = search_content(store, values["pattern"], values["accounts"], values["date"], values["fields"],
                          values["regex"], values["include_deleted"])  # fmt: skip
    groups = [
        [("account", row.account), ("itemId", row.item_id), ("transactionId", row.transaction_id),
         ("folder", row.folder_path), ("start_date", vendor_date(row.start_date, store.tz)),
         ("deleted", bool(row.deleted)), ("field", row.field), ("snippet", row.snippet)]
        for row in hits.itertuples(index=False)
    ]  # fmt: skip
    tree = [("hits", groups or ""), ("found", len(hits)), ("errors", len(store.errors))]
    return Result(hits, render(tree))
