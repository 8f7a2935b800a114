"""Widgets of the restore investigation: a report's summary, its items by account and cause, an
item's state history, and the Extract button.

The work is the package's (`diagnose.report_summary`, `extract.recover_item`, `plots.causes`); the
few helpers here only choose what a control shows (`account_options`, `filter_items`, `history_view`),
and `UnrestoredItemsView` wires them to child widgets.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pandas as pd

from ..errors import NotFound
from ..format.dates import format_vendor_date
from ..format.names import CAUSES
from ..investigate.diagnose import diagnose, item_history, report_summary
from ..investigate.extract import MANIFEST, not_recoverable, recover_item
from ..parse.notification import Notification
from ..report import plots
from ..store.backup import BackupStore, open_backup
from ..store.inputs import read_notification
from .common import (
    Note,
    View,
    append_frame,
    append_text,
    beside,
    figure_image,
    fit_dropdown,
    frame_html,
    table_box,
    wrapping_row,
)

ALL = "(all)"
NO_NOTIFICATION = "(no notification)"
NO_ITEM = "no item selected"
_NOTHING_SHOWN = object()  # the history pane before its first item
ITEM_COLUMNS = ["account", "item_id", "cause", "type", "folder_path", "states", "last_valid_state",
                "recoverable_eml", "detail"]  # fmt: skip


@dataclass
class RestoreCase:
    """What the views work on: the store, the notification and its diagnosis."""

    store: BackupStore
    report: Notification
    diagnosis: pd.DataFrame


def open_case(backup_path: str | os.PathLike, notification=None, tz: str | None = None,
              index: object = None) -> RestoreCase:  # fmt: skip
    """Open the backup, read the notification and diagnose its unrestored items. Without a notification
    (None or "") the case is a restore that reported nothing: no item to diagnose, the views still work.
    `index` as `open_backup`'s (None: the default index)."""
    store = open_backup(backup_path, tz=tz, index=index)
    if notification is None or (isinstance(notification, str) and not notification.strip()):
        report = Notification(source=NO_NOTIFICATION)
    elif isinstance(notification, Notification):
        report = notification
    else:
        report = read_notification(notification)
    return RestoreCase(store, report, diagnose(store, report))


def case_overview(case: RestoreCase, backup_path: str | os.PathLike, out_dir: str | os.PathLike) -> Note:
    """What the page is about, in words: the backup path, the restore notification and how many items it
    left behind, where extracted mails go; and what in the notification does not add up, if anything."""
    report = case.report
    told = os.path.basename(report.source) if report.source != NO_NOTIFICATION else "none given: no item to diagnose"
    if report.operation.get("operation"):
        told += f" ({report.operation['operation']}, started {report.operation.get('started', '?')})"
    lines = [("Backup path", str(backup_path)), ("Restore notification", told),
             ("Unrestored items", str(len(case.diagnosis))), ("Extracted .eml files go to", str(out_dir))]  # fmt: skip
    problems = report.check()
    if problems:
        lines.append(("", "The notification does not add up:"))
    return Note(lines, problems)


def extraction_note(result: dict | None, out_dir: str | os.PathLike) -> str:
    """What the Extract cell says: the answer of the extraction it ran, or (when it ran none, as in the
    dashboard) where the Extract .eml button writes."""
    if result is None:
        return f"Extract .eml writes the selected item's newest verified state into {out_dir}, listed in {MANIFEST}."
    return result["message"]


# -- the actions ----------------------------------------------------------------------------
def account_options(diagnosis: pd.DataFrame) -> list[str]:
    """The account dropdown: every account of the diagnosis, after `(all)`."""
    return [ALL, *sorted(diagnosis["account"].dropna().astype(str).unique(), key=str.lower)]


def filter_items(diagnosis: pd.DataFrame, account: str | None = None, cause: str | None = None) -> pd.DataFrame:
    """The items of one account and one cause (`None` or `(all)`: no filter), in the table's columns."""
    keep = pd.Series(True, index=diagnosis.index)
    if account and account != ALL:
        keep &= diagnosis["account"].astype(str).str.lower() == account.lower()
    if cause and cause != ALL:
        keep &= diagnosis["cause"].astype(str) == cause
    return diagnosis.loc[keep, ITEM_COLUMNS].reset_index(drop=True)


def history_view(store: BackupStore, account: str, item_id: int) -> pd.DataFrame:
    """The getItem `date all` view of an item, dates as the vendor prints them in the server's zone."""
    try:
        states = item_history(store, account, int(item_id))
    except NotFound as exc:
        return pd.DataFrame({"note": [str(exc)]})
    for column in ("start_date", "end_date"):
        states[column] = [format_vendor_date(value, store.tz) for value in states[column]]
    return states.drop(columns=["digest"])


# -- the view -------------------------------------------------------------------------------
def summary_view(report: Notification, diagnosis: pd.DataFrame):
    """The report's stats table beside the chart of causes per account (below it in a narrow output; the
    chart keeps its aspect ratio either way)."""

    table = table_box(frame_html(report_summary(report, diagnosis)))
    return wrapping_row([table, beside(figure_image(plots.causes(diagnosis)))], grid_gap="1em")


class UnrestoredItemsView(View):
    """Account and cause filters driving the item table; an item's history; the Extract button.

    Its initial values come from the notebook's parameters (`account`, `cause`), so a papermill run
    shows what a person sees."""

    def __init__(self, case: RestoreCase, out_dir, account: str | None = None, cause: str | None = None) -> None:
        import ipywidgets as w

        self.case, self.out_dir = case, out_dir
        options = account_options(case.diagnosis)
        start = next((o for o in options if account and o.lower() == account.lower()), ALL)
        self.account = w.Dropdown(options=options, value=start, description="account")
        self.cause = w.Dropdown(options=[ALL, *CAUSES], value=cause if cause in CAUSES else ALL, description="cause")
        fit_dropdown(self.account)
        fit_dropdown(self.cause)
        self.table = table_box()
        self.item = w.Dropdown(description="item")
        self.history = table_box()
        self.extract_button = w.Button(description="Extract .eml", icon="download")
        self.out = w.Output()
        self._shown: object = _NOTHING_SHOWN
        self.account.observe(self._refresh, names="value")
        self.cause.observe(self._refresh, names="value")
        self.item.observe(self._show_history, names="value")
        self.extract_button.on_click(self._extract)
        self.widget = w.VBox([wrapping_row([self.account, self.cause]), self.table,
                              wrapping_row([self.item, self.extract_button]), self.history, self.out])  # fmt: skip
        self._refresh()

    @property
    def value(self) -> dict:
        """The selection: account and cause filters, and the item (`(account, item_id)`, None: none)."""
        return {"account": self.account.value, "cause": self.cause.value, "item": self.item.value}

    @property
    def items(self) -> pd.DataFrame:
        return filter_items(self.case.diagnosis, self.account.value, self.cause.value)

    def _refresh(self, _change=None) -> None:
        items = self.items
        self.table.value = frame_html(items)
        options = [(f"{row.item_id} {row.account} ({row.cause})", (row.account, int(row.item_id)))
                   for row in items.itertuples(index=False)]  # fmt: skip
        self.item.options = options
        self.item.value = options[0][1] if options else None
        fit_dropdown(self.item)
        self._show_history()  # when the selected item stayed the same, no change event came

    def _show_history(self, _change=None) -> None:
        if self.item.value == self._shown:  # new options fire a change, then _refresh calls again
            return
        self._shown = self.item.value
        if self.item.value is None:
            self.history.value = frame_html(pd.DataFrame(), empty=NO_ITEM)
            return
        account, item_id = self.item.value
        self.history.value = frame_html(history_view(self.case.store, account, item_id))

    def extract(self) -> dict:
        """What the button does, callable from a notebook cell or a test (the answer of `recover_item`)."""
        if self.item.value is None:
            append_text(self.out, NO_ITEM)
            return not_recoverable(NO_ITEM)
        account, item_id = self.item.value
        result = recover_item(self.case.store, self.case.diagnosis, account, item_id, self.out_dir)
        append_text(self.out, result["message"])
        if result["row"] is not None:
            append_frame(self.out, pd.DataFrame([result["row"]]))
        if not result["headers"].empty:
            append_frame(self.out, result["headers"])
        return result

    def _extract(self, _button=None) -> None:
        self.extract()
