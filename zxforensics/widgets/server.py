"""Widgets of the server configuration investigation: two snapshot dates and a query drive the key-level
diff, a per-key timeline plot, and the customizations diff with a selected file's unified diff.

The work is the package's (`config_diff.diff_table`, `timeline_keys`, `key_history`, `plots.key_history`);
the helpers here only choose what a control shows (`snapshot_options`, `customization_table`,
`member_diff_text`), and `ServerConfigDiffView` wires them.
"""

from __future__ import annotations

import html

import pandas as pd

from ..errors import NotFound
from ..format.dates import format_vendor_date
from ..investigate.config_diff import CUSTOM_DIFF_COLUMNS, diff_customizations, diff_table, key_history, timeline_keys
from ..report import plots
from ..store.backup import BackupStore
from .common import View, figure_image, fit_dropdown, frame_html, set_figure, table_box, wrapping_row

LAST = "last"
NO_DIFF = "(no textual diff: binary content)"


def snapshot_options(store: BackupStore, extra: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """The date dropdowns: `(label, value)` for `last` and every config snapshot, newest first.

    Values are `dd/MM/yyyy HH:mm:ss` in the server's zone (what the vendor's `date` takes); `extra`
    dates (a notebook parameter that is no snapshot date) are kept as options of their own.
    """
    dates = store.server.config_dates()
    options: list[tuple[str, str]] = []
    if dates:
        options.append((f"last ({format_vendor_date(dates[-1], store.tz, zone=True)})", LAST))
    for date in reversed(dates):
        moment = date.to_pydatetime()
        options.append((format_vendor_date(moment, store.tz, zone=True), format_vendor_date(moment, store.tz)))
    values = {value for _label, value in options}
    options += [(str(value), str(value)) for value in extra if value and str(value) not in values]
    return options


def customization_table(changes: pd.DataFrame) -> pd.DataFrame:
    """The customizations diff for display (the unified diffs are shown one at a time)."""
    return changes.drop(columns=["diff", "sha256_before", "sha256_after"])


def member_diff_text(changes: pd.DataFrame, member: str | None) -> str:
    """The unified diff of one changed member, or a note when it is binary or not in the diff."""
    found = changes[changes["member"] == member]
    if member is None or found.empty:
        return f"{member!r} did not change" if member else "no member selected"
    diff = found["diff"].iloc[0]
    return diff if isinstance(diff, str) else NO_DIFF


def customization_changes(store: BackupStore, a: object, b: object) -> pd.DataFrame:
    """diff_customizations, or an empty frame of its columns when a date has no archive."""
    try:
        return diff_customizations(store, a, b)
    except NotFound:
        return pd.DataFrame(columns=CUSTOM_DIFF_COLUMNS)


def diff_html(text: str) -> str:
    """A unified diff as preformatted text; long lines scroll inside its box instead of being cut."""
    return f"<pre style='font-size:smaller;overflow-x:auto;max-width:100%'>{html.escape(text)}</pre>"


class ServerConfigDiffView(View):
    """Two date dropdowns (filled from the snapshots) and a query box driving the diff table, the
    per-key timeline and the customizations diff. Initial values come from the notebook's parameters."""

    def __init__(self, store: BackupStore, date_a: object = LAST, date_b: object = LAST, query: str = "/") -> None:
        import ipywidgets as w

        self.store = store
        options = snapshot_options(store, (str(date_a), str(date_b)))
        self.date_a = w.Dropdown(options=options, value=str(date_a), description="date A")
        self.date_b = w.Dropdown(options=options, value=str(date_b), description="date B")
        self.query = w.Text(value=query or "/", description="query", continuous_update=False,
                            style={"description_width": "initial"})
        fit_dropdown(self.date_a)
        fit_dropdown(self.date_b)
        self.table, self.plot = table_box(), figure_image()
        self.key = w.Dropdown(description="key")
        self.custom_table, self.member, self.member_diff = table_box(), w.Dropdown(description="file"), table_box()
        for control in (self.date_a, self.date_b, self.query):
            control.observe(self.refresh, names="value")
        self.key.observe(self._plot, names="value")
        self.member.observe(self._show_member, names="value")
        self.widget = w.VBox([
            wrapping_row([self.date_a, self.date_b, self.query]), w.HTML("<b>Key-level diff</b>"), self.table,
            w.HTML("<b>Timeline of a key</b>"), self.key, self.plot,
            w.HTML("<b>Customizations (conf/, postfix/conf/)</b>"), self.custom_table, self.member, self.member_diff,
        ])  # fmt: skip
        self.changes = pd.DataFrame()
        self.refresh()

    @property
    def value(self) -> dict:
        return {"date_a": self.date_a.value, "date_b": self.date_b.value, "query": self.query.value}

    def refresh(self, _change=None) -> None:
        a, b, query = self.date_a.value, self.date_b.value, self.query.value or "/"
        self.table.value = frame_html(diff_table(self.store, a, b, query), empty="no difference")
        keys = timeline_keys(self.store, a, b, query)
        self.key.options = keys
        self.key.value = keys[0] if keys else None
        fit_dropdown(self.key)
        self._plot()
        self.changes = customization_changes(self.store, a, b)
        self.custom_table.value = frame_html(customization_table(self.changes), empty="no file changed")
        members = list(self.changes["member"])
        self.member.options = members
        self.member.value = members[0] if members else None
        fit_dropdown(self.member)
        self._show_member()

    def _plot(self, _change=None) -> None:
        set_figure(self.plot, self._key_figure(self.key.value) if self.key.value else None)

    def _key_figure(self, key: str):
        return plots.key_history(key_history(self.store, key), key, self.store.tz)

    def _show_member(self, _change=None) -> None:
        self.member_diff.value = diff_html(member_diff_text(self.changes, self.member.value))
