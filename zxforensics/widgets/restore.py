"""Widgets of the restore investigation: a report's summary, its items by account and cause, an
item's state history, and the Extract button.

Every action is a plain function here (`report_stats`, `cause_chart`, `filter_items`,
`history_view`, `extract_eml`); `UnrestoredItemsView` only wires them to child widgets.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import NotFound, ZxError
from ..format.dates import format_vendor_date
from ..investigate.diagnose import CAUSES, cause_counts, diagnose, item_history
from ..investigate.extract import check_out_dir, eml_name
from ..investigate.lmtp import header_fields
from ..parse.notification import ADDS_UP, Notification
from ..store.backup import BackupStore, open_backup
from ..store.inputs import read_notification
from .common import View, append_frame, append_text, figure_png, frame_html

ALL = "(all)"
_NOTHING_SHOWN = object()  # the history pane before its first item
ITEM_COLUMNS = ["account", "item_id", "cause", "type", "folder_path", "states", "last_valid_state",
                "recoverable_eml", "detail"]  # fmt: skip
CAUSE_COLORS = {"read_error": "#d62728", "broken": "#ff7f0e", "invalid": "#9467bd", "not_in_backup": "#7f7f7f",
                "restorable": "#2ca02c"}  # fmt: skip


@dataclass
class RestoreCase:
    """What the views work on: the store, the notification and its diagnosis."""

    store: BackupStore
    report: Notification
    diagnosis: pd.DataFrame


def open_case(backup_path: str | os.PathLike, notification, tz: str | None = None) -> RestoreCase:
    """Open the backup, read the notification and diagnose its unrestored items."""
    store = open_backup(backup_path, tz=tz)
    report = notification if isinstance(notification, Notification) else read_notification(notification)
    return RestoreCase(store, report, diagnose(store, report))


# -- the actions ----------------------------------------------------------------------------
def report_stats(report: Notification, diagnosis: pd.DataFrame | None = None) -> pd.DataFrame:
    """`metric, value`: the operation header, the stats line, the consistency check, the causes."""
    rows = list(report.operation.items())
    rows += [(f"{key} items", "" if value is None else value) for key, value in report.stats.items()]
    rows += [("listed unrestored", len(report.unrestored)), ("listed skipped", len(report.skipped))]
    rows += [("check", text) for text in report.check() or [ADDS_UP]]
    if diagnosis is not None:
        counts = diagnosis["cause"].value_counts()
        rows += [(f"cause {cause}", int(counts.get(cause, 0))) for cause in CAUSES]
    return pd.DataFrame(rows, columns=["metric", "value"]).astype({"value": "str"})


def cause_chart(diagnosis: pd.DataFrame, title: str = "Unrestored items by cause"):
    """A stacked horizontal bar per account, one colour per cause (a matplotlib Figure)."""
    from matplotlib.figure import Figure

    table = cause_counts(diagnosis)
    fig = Figure(figsize=(8, 0.45 * max(len(table), 2) + 1.2))
    ax = fig.add_subplot()
    left = pd.Series(0, index=table.index)
    for cause in CAUSES:
        values = table[cause] if cause in table else pd.Series(0, index=table.index)
        ax.barh(list(table.index), values, left=left, color=CAUSE_COLORS[cause], label=cause)
        left = left + values
    ax.invert_yaxis()
    ax.set_xlabel("items")
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    return fig


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


def eml_headers(raw: bytes) -> pd.DataFrame:
    """`name, value` of a message's header fields (see `lmtp.header_fields`)."""
    return pd.DataFrame(header_fields(raw), columns=["name", "value"])


def _not_recoverable(message: str) -> dict:
    return {"status": "not_recoverable", "message": message, "path": None, "row": None, "headers": eml_headers(b"")}


def extract_eml(store: BackupStore, diagnosis: pd.DataFrame, account: str, item_id: int, out_dir) -> dict:
    """Extract an item's newest valid state as `.eml` (with its manifest row) and read its headers back.

    Returns `status` (`written`, `exists` or `not_recoverable`), `message`, `path`, `row` and
    `headers`; pressing the button twice shows the file already written instead of failing."""
    found = diagnosis[(diagnosis["account"] == account) & (diagnosis["item_id"] == int(item_id))]
    if found.empty or not bool(found["recoverable_eml"].iloc[0]):
        why = "not in the diagnosis" if found.empty else f"{found['cause'].iloc[0]}: {found['detail'].iloc[0]}"
        return _not_recoverable(f"item {item_id} of {account}: nothing to extract ({why})")
    tx = int(found["last_valid_state"].iloc[0])
    states = store.get_item(account, int(item_id), "all")
    state = states[states["transaction_id"] == tx].iloc[-1]
    target = check_out_dir(store.root, out_dir) / eml_name(account, int(item_id), state["start_date"])
    if target.exists():
        status, row = "exists", None
    else:
        try:
            row = store.extract(account, int(item_id), out_dir, state["start_date"])
        except ZxError as exc:
            return _not_recoverable(str(exc))
        status, target = "written", Path(row["written_path"])
    verb = "wrote" if status == "written" else "already extracted:"
    return {"status": status, "message": f"{verb} {target} (state {tx})", "path": target, "row": row,
            "headers": eml_headers(target.read_bytes())}  # fmt: skip


# -- the view -------------------------------------------------------------------------------
def summary_view(report: Notification, diagnosis: pd.DataFrame):
    """The report's stats table beside the chart of causes per account."""
    import ipywidgets as w

    table = w.HTML(frame_html(report_stats(report, diagnosis)))
    chart = w.Image(value=figure_png(cause_chart(diagnosis)), format="png")
    return w.HBox([table, chart])


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
        self.table = w.HTML()
        self.item = w.Dropdown(description="item")
        self.history = w.HTML()
        self.extract_button = w.Button(description="Extract .eml", icon="download")
        self.out = w.Output()
        self._shown: object = _NOTHING_SHOWN
        self.account.observe(self._refresh, names="value")
        self.cause.observe(self._refresh, names="value")
        self.item.observe(self._show_history, names="value")
        self.extract_button.on_click(self._extract)
        self.widget = w.VBox([w.HBox([self.account, self.cause]), self.table,
                              w.HBox([self.item, self.extract_button]), self.history, self.out])  # fmt: skip
        self._refresh()

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
        self._show_history()  # when the selected item stayed the same, no change event came

    def _show_history(self, _change=None) -> None:
        if self.item.value == self._shown:  # new options fire a change, then _refresh calls again
            return
        self._shown = self.item.value
        if self.item.value is None:
            self.history.value = frame_html(pd.DataFrame(), empty="no item selected")
            return
        account, item_id = self.item.value
        self.history.value = frame_html(history_view(self.case.store, account, item_id))

    def extract(self) -> dict | None:
        """What the button does, callable from a notebook cell or a test."""
        if self.item.value is None:
            append_text(self.out, "no item selected")
            return None
        account, item_id = self.item.value
        result = extract_eml(self.case.store, self.case.diagnosis, account, item_id, self.out_dir)
        append_text(self.out, result["message"])
        if result["row"] is not None:
            append_frame(self.out, pd.DataFrame([result["row"]]))
        if not result["headers"].empty:
            append_frame(self.out, result["headers"])
        return result

    def _extract(self, _button=None) -> None:
        self.extract()
