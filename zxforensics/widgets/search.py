"""Widgets of the hand-over: search inside the mails and extract a hit as `.eml`, and export a mailbox
as it was at a date.

The work is the package's (`search_content`, `extract_hit`, `export_mailbox`); the views only wire
controls to it, and their `search`, `extract` and `export` methods are what the buttons do, so a
notebook cell or a test calls them without a browser.
"""

from __future__ import annotations

import pandas as pd

from ..investigate.content_search import extract_hit, search_content
from ..investigate.mailbox_export import (
    EXPORT_FORMATS,
    MANIFEST_COLUMNS,
    export_errors,
    export_mailbox,
    new_export_folder,
)
from ..store.backup import BackupStore
from .common import DESCRIPTION, View, append_frame, append_text, fit_dropdown, frame_html, table_box, wrapping_row

HIT_SHOWN = ["account", "item_id", "transaction_id", "folder_path", "start_date", "deleted", "field", "snippet"]
EXPORT_SHOWN = ["item_id", "folder", "mail_flags", "verified", "written_path"]
NO_HIT = "no hit selected"
NO_ACCOUNT = "no account to export: the backup holds none"


def hit_options(hits: pd.DataFrame) -> list[tuple[str, int]]:
    """The hit dropdown: one entry per row of `search_content`, labelled by item, state and field."""
    return [(f"{row.item_id} state {row.transaction_id} {row.account} ({row.field})", index)
            for index, row in enumerate(hits.itertuples(index=False))]  # fmt: skip


def export_account(store: BackupStore, hits: pd.DataFrame, account: str | None = None) -> str | None:
    """The account to export: the one asked for, else the first hit's, else the backup's first (None: none)."""
    if account:
        return account
    if len(hits):
        return str(hits["account"].iloc[0])
    names = store.accounts()["name"].dropna().astype(str)
    return names.iloc[0] if len(names) else None


def export_table(manifest: pd.DataFrame, rows: int = 10) -> pd.DataFrame:
    """The first messages of an export's manifest, in the columns a person checks."""
    return manifest[EXPORT_SHOWN].head(rows)


def export_summary(store: BackupStore, account: str, manifest: pd.DataFrame, out) -> pd.DataFrame:
    """What an export wrote, folder by folder, and how many items it could not write."""
    counts = manifest.groupby("folder").size().rename("messages").reset_index()
    failed = len(export_errors(store, account))
    total = pd.DataFrame([{"folder": f"(all, in {out})", "messages": len(manifest)},
                          {"folder": "(not exported: see store.errors)", "messages": failed}])  # fmt: skip
    return pd.concat([counts, total], ignore_index=True)


class ContentSearchView(View):
    """Pattern, accounts, date and options driving the hit table; the Extract .eml button writes the
    selected hit's state to `out_dir`."""

    def __init__(self, store: BackupStore, out_dir, pattern: str = "", accounts: str | None = None,
                 date: str | None = None) -> None:  # fmt: skip
        import ipywidgets as w

        self.store, self.out_dir = store, out_dir
        self.pattern = w.Text(value=pattern, description="pattern", style=DESCRIPTION)
        self.accounts = w.Text(value=accounts or "", description="accounts", placeholder="all (or a,b)",
                               style=DESCRIPTION)
        self.date = w.Text(value=date or "", description="date", placeholder="every state (or last, dd/MM/yyyy)",
                           style=DESCRIPTION, layout=w.Layout(width="28em"))
        self.regex = w.Checkbox(value=False, description="regular expression", indent=False)
        self.include_deleted = w.Checkbox(value=True, description="deleted items too", indent=False)
        self.search_button = w.Button(description="Search", icon="search")
        self.table = table_box()
        self.hit = w.Dropdown(description="hit")
        self.extract_button = w.Button(description="Extract .eml", icon="download")
        self.out = w.Output()
        self.hits = pd.DataFrame(columns=HIT_SHOWN)
        self.search_button.on_click(lambda _b: self.search())
        self.extract_button.on_click(lambda _b: self.extract())
        self.widget = w.VBox([wrapping_row([self.pattern, self.accounts, self.date]),
                              wrapping_row([self.regex, self.include_deleted, self.search_button], grid_gap="1em"),
                              self.table, wrapping_row([self.hit, self.extract_button]), self.out])  # fmt: skip

    @property
    def value(self) -> dict:
        """The search asked for and the hit selected (its row of `hits` as a dict; None: none)."""
        hit = None if self.hit.value is None else self.hits.iloc[self.hit.value].to_dict()
        return {"pattern": self.pattern.value, "accounts": self.accounts.value, "date": self.date.value,
                "regex": self.regex.value, "include_deleted": self.include_deleted.value, "hit": hit}  # fmt: skip

    def search(self) -> pd.DataFrame:
        """What the Search button does: the hits, shown in the table and the dropdown."""
        self.hits = search_content(self.store, self.pattern.value, self.accounts.value or None,
                                   self.date.value or None, regex=self.regex.value,
                                   include_deleted=self.include_deleted.value)  # fmt: skip
        self.table.value = frame_html(self.hits[HIT_SHOWN], empty=f"no mail holds {self.pattern.value!r}")
        self.hit.options = hit_options(self.hits)
        self.hit.value = 0 if len(self.hits) else None
        fit_dropdown(self.hit)
        return self.hits

    def extract(self) -> dict:
        """What the Extract button does: the selected hit's state as `.eml` under `out_dir` (the answer of
        `extract_hit`; `status` `none` when no hit is selected)."""
        if self.hit.value is None:
            append_text(self.out, NO_HIT)
            return {"status": "none", "message": NO_HIT, "row": None}
        result = extract_hit(self.store, self.hits.iloc[self.hit.value], self.out_dir)
        append_text(self.out, result["message"])
        if result["row"] is not None:
            append_frame(self.out, pd.DataFrame([result["row"]]))
        return result


class MailboxExportView(View):
    """Account, date, format and options; the Export button writes the mailbox to a new folder under
    `out_dir` and shows what went where."""

    def __init__(self, store: BackupStore, out_dir, account: str | None = None, date: str = "last",
                 format: str = "maildir") -> None:  # fmt: skip
        import ipywidgets as w

        self.store, self.out_dir = store, out_dir
        names = sorted(store.accounts()["name"].dropna().astype(str), key=str.lower)
        start = next((n for n in names if account and n.lower() == account.lower()), names[0] if names else None)
        self.account = w.Dropdown(options=names, value=start, description="account")
        self.date = w.Text(value=date, description="date", placeholder="last or dd/MM/yyyy HH:mm:ss", style=DESCRIPTION)
        self.format = w.Dropdown(options=list(EXPORT_FORMATS), value=format, description="format")
        fit_dropdown(self.account)
        fit_dropdown(self.format, min_ch=8)
        self.include_deleted = w.Checkbox(value=False, description="deleted items too", indent=False)
        self.folder = w.Text(value="", description="folder", placeholder="every folder (or /Inbox)", style=DESCRIPTION)
        self.export_button = w.Button(description="Export", icon="archive")
        self.out = w.Output()
        self.last_export = None  # the folder the last export wrote
        self.message = ""  # what the last export says it did
        self.export_button.on_click(lambda _b: self.export())
        self.widget = w.VBox([wrapping_row([self.account, self.date, self.format]),
                              wrapping_row([self.folder, self.include_deleted, self.export_button], grid_gap="1em"),
                              self.out])  # fmt: skip

    @property
    def value(self) -> dict:
        """The export asked for, and the folder the last export wrote (None: none yet)."""
        return {"account": self.account.value, "date": self.date.value, "format": self.format.value,
                "include_deleted": self.include_deleted.value, "folder": self.folder.value,
                "last_export": self.last_export}  # fmt: skip

    def export(self) -> pd.DataFrame:
        """What the Export button does: the manifest of a new export folder under `out_dir` (empty, with a
        note and no folder, when the backup holds no account)."""
        if self.account.value is None:
            self.message = NO_ACCOUNT
            append_text(self.out, self.message)
            return pd.DataFrame(columns=MANIFEST_COLUMNS)
        target = new_export_folder(self.out_dir, self.account.value, self.date.value, self.format.value)
        manifest = export_mailbox(self.store, self.account.value, target, self.date.value or "last",
                                  self.format.value, self.include_deleted.value, self.folder.value or None,
                                  progress=False)  # fmt: skip
        self.last_export = target
        self.message = f"exported {len(manifest)} messages of {self.account.value} to {target}"
        append_text(self.out, self.message)
        append_frame(self.out, export_summary(self.store, self.account.value, manifest, target))
        return manifest
