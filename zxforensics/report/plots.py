"""Every figure the kit draws (matplotlib), for the report, the widgets and the notebooks alike.

Each function takes a frame (and the server's zone, where dates are drawn) and returns a Figure;
`report.view.figure` and `widgets.common.figure_png` turn it into a PNG. The Agg canvas is used
directly, so no GUI backend (nor pyplot state) is ever involved. Dates are drawn in the server's
zone, day first, as everywhere else in the kit.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from ..format.names import CAUSES
from ..format.text import escape
from ..investigate.coherency import by_kind
from ..investigate.summary import holdings_by_type
from ..investigate.timeline import DESC_CHANGED, DESC_CREATED, DESC_DELETED

SCREEN_DPI = 96  # CSS pixels per inch: a figure's size in inches is the size it shows at on a page
WIDTH = 10.0  # inches: 960 CSS pixels, the width of JupyterLab's output area at a 1280-pixel window
COLORS = {
    DESC_CREATED: "#4C78A8", DESC_CHANGED: "#F2CF5B", DESC_DELETED: "#E45756",
    "read_error": "#E45756", "broken": "#F58518", "invalid": "#B279A2", "not_in_backup": "#9D9D9D",
    "restorable": "#54A24B", "error": "#E45756", "warning": "#F58518", "info": "#4C78A8",
    # the report's labels of the causes (report.labels.CAUSE_LABELS) keep their colours
    "Read error": "#E45756", "Broken": "#F58518", "Refused by the mail server": "#B279A2",
    "Not in the backup": "#9D9D9D", "Intact in the backup": "#54A24B",
}  # fmt: skip
NOTHING = "nothing to show"
PALETTE = ["#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#EECA3B", "#B279A2", "#FF9DA6", "#9D755D"]


def _figure(height: float) -> tuple[Figure, object]:
    fig = Figure(figsize=(WIDTH, height), layout="constrained")
    return fig, fig.add_subplot()


def _sized(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _local(dates: pd.Series, tz: str) -> pd.Series:
    """UTC timestamps as naive wall-clock times of the server's zone (what the axes show)."""
    return dates.dt.tz_convert(tz).dt.tz_localize(None)


def label(value: object) -> str:
    """Text from the evidence as a figure shows it: escaped as in text output, and `$` kept literal (an
    account named `a$\\frac$` would otherwise be parsed as mathtext, and fail the whole figure)."""
    return escape(str(value)).replace("$", r"\$")


def _labelled(table: pd.DataFrame) -> pd.DataFrame:
    """A frame whose index and column names (accounts, types, values) are safe figure labels."""
    out = table.copy()
    out.index = [label(i) for i in table.index]
    out.columns = [label(c) for c in table.columns]
    return out


def nothing_to_show(title: str) -> Figure:
    """The figure of a section with no data (an empty store, no deletion, no snapshot): its title and a
    note, where a plot of nothing would fail or draw empty axes."""
    fig, ax = _figure(1.2)
    ax.set_axis_off()
    ax.set_title(title)
    ax.text(0.5, 0.4, NOTHING, ha="center", va="center", transform=ax.transAxes, color="#667", style="italic")
    return fig


def _stacked_bars(ax, table: pd.DataFrame, horizontal: bool = False) -> None:
    """Stacked bars of a frame (rows = bars, columns = stacked parts), each part in its colour."""
    table = _labelled(table)
    base = pd.Series(0.0, index=table.index)
    positions = range(len(table))
    for n, column in enumerate(table.columns):
        color = COLORS.get(str(column), PALETTE[n % len(PALETTE)])
        values = table[column].astype(float)
        if horizontal:
            ax.barh(positions, values, left=base, color=color, label=str(column))
        else:
            ax.bar(positions, values, bottom=base, color=color, label=str(column), width=0.85)
        base = base + values
    labels = [str(i) for i in table.index]
    if horizontal:
        ax.set_yticks(list(positions), labels)
        ax.invert_yaxis()
    else:
        ax.set_xticks(list(positions), labels, rotation=45, ha="right")
    if horizontal:
        ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    else:
        ax.legend(frameon=False, fontsize=8, ncols=min(len(table.columns), 5), loc="upper left")
    ax.spines[["top", "right"]].set_visible(False)


def states_over_time(months: pd.DataFrame, tz: str = "UTC") -> Figure:
    """Item states per month (in the server's zone), split into first states, changes and deletions:
    the table of `investigate.timeline.states_by_month` (or `count_by_month` of a timeline frame)."""
    title = f"Item states over time (per month, {tz})"
    if months.empty:
        return nothing_to_show(title)
    fig, ax = _figure(3.6)
    table = months.copy()
    table.index = [p.strftime("%m/%Y") for p in table.index]  # day-first habits: month before year
    _stacked_bars(ax, table)
    ax.set_title(title)
    ax.set_ylabel("states")
    return fig


def items_per_type_and_account(holdings: pd.DataFrame) -> Figure:
    """Items (newest state) per account, stacked by type, from `investigate.summary.holdings` (counts the
    index keeps: no frame of every item)."""
    table = holdings_by_type(holdings)
    if table.empty:
        return nothing_to_show("Items per account and type")
    fig, ax = _figure(0.8 + 0.32 * max(len(table), 3))
    _stacked_bars(ax, table, horizontal=True)
    ax.set_title("Items per account and type")
    ax.set_xlabel("items")
    return fig


def causes(diagnosis: pd.DataFrame, order: tuple[str, ...] = CAUSES) -> Figure:
    """Unrestored items per account, stacked by cause."""
    if diagnosis.empty:
        return nothing_to_show("Unrestored items per account, by cause")
    table = pd.crosstab(diagnosis["account"].astype(str), diagnosis["cause"].astype(str))
    table = table.reindex(columns=[c for c in order if c in table.columns])
    fig, ax = _figure(0.8 + 0.35 * max(len(table), 3))
    _stacked_bars(ax, table, horizontal=True)
    ax.set_title("Unrestored items per account, by cause")
    ax.set_xlabel("items")
    return fig


def findings(found: pd.DataFrame) -> Figure:
    """Audit findings per kind, stacked by severity."""
    if found.empty:
        return nothing_to_show("Audit findings per kind, by severity")
    table = by_kind(found).set_index("kind").drop(columns="total")
    fig, ax = _figure(0.8 + 0.32 * max(len(table), 3))
    _stacked_bars(ax, table, horizontal=True)
    ax.set_title("Audit findings per kind, by severity")
    ax.set_xlabel("findings")
    return fig


def holdings(table: pd.DataFrame):
    """Items and bytes (uncompressed, as the metadata says) per account, stacked by item type (`holdings`)."""
    if table.empty:
        return nothing_to_show("items and bytes per account and type (newest states)")
    fig = _sized(11, 0.8 + 0.35 * max(table["account"].nunique(), 3))
    for position, measure in enumerate(("items", "bytes"), start=1):
        ax = fig.add_subplot(1, 2, position)
        pivot = _labelled(holdings_by_type(table, measure))
        pivot.plot.barh(stacked=True, ax=ax, legend=position == 2, width=0.8)
        ax.set_title(f"{measure} per account and type (newest states)")
        if measure == "bytes":  # one huge blob (a bomb, a video) must not hide the others
            ax.set_xscale("symlog", linthresh=1024)
            ax.set_title("bytes per account and type (log scale)")
        ax.set_ylabel("")
        if position == 2:
            ax.legend(fontsize="small", loc="lower right")
            ax.set_yticklabels([])
    return fig


def states_by_type(states: pd.DataFrame, tz: str):
    """States started per month (in the server's zone), by type, with the deletions as a line."""
    title = f"Item states over time (month of the state's start, {tz})"
    if states.empty:
        return nothing_to_show(title)
    month = _local(states["start_date"], tz).dt.to_period("M")
    table = pd.crosstab(month, states["type"].astype(str)).sort_index()
    table.columns = [label(c) for c in table.columns]
    deletions = states[states["deleted"]].groupby(month[states["deleted"]]).size().reindex(table.index, fill_value=0)
    table.index = [p.strftime("%m/%Y") for p in table.index]
    fig = _sized(9, 3.5)
    ax = fig.add_subplot()
    table.plot.bar(stacked=True, ax=ax, width=0.85, rot=45)
    ax.plot(range(len(table)), deletions.to_numpy(), color="black", marker="o", label="deletions")
    ax.set_title(title)
    ax.set_ylabel("states")
    ax.legend(fontsize="small", ncols=2)
    return fig


def purge_forecast(forecast: pd.DataFrame, tz: str = "UTC"):
    """Blob bytes and items a purge would free at each date of `purge_forecast`."""
    fig = _sized(9, 3.2)
    ax = fig.add_subplot()
    dates = _local(forecast["date"], tz)
    ax.step(dates, forecast["bytes_freed"] / 1024, where="post", marker="o", label="KiB of blobs freed")
    ax.set_ylabel("KiB freed")
    other = ax.twinx()
    other.step(dates, forecast["items"], where="post", color="tab:orange", marker="s", label="deleted items purged")
    other.set_ylabel("items purged")
    ax.set_title("Purge forecast")
    fig.legend(loc="upper left", fontsize="small")
    fig.autofmt_xdate()
    return fig


def key_history(history: pd.DataFrame, key: str, tz: str):
    """A step plot of one key's value across the snapshots (values on the y axis, in order of appearance)."""
    from matplotlib.dates import DateFormatter

    if history.empty:
        return nothing_to_show(label(key))
    levels = list(dict.fromkeys(history["value"]))
    fig = Figure(figsize=(8, 1.2 + 0.45 * max(len(levels), 2)))
    ax = fig.add_subplot()
    local = _local(pd.to_datetime(history["date"], utc=True), tz)
    ax.step(local, [levels.index(v) for v in history["value"]], where="post", marker="o")
    ax.set_yticks(range(len(levels)), [label(v if len(v) <= 40 else v[:37] + "...") for v in levels])
    ax.set_ylim(-0.5, len(levels) - 0.5)
    ax.xaxis.set_major_formatter(DateFormatter("%d/%m/%Y"))  # day first, as the vendor writes dates
    ax.set_title(label(key))
    ax.set_xlabel(f"snapshot date ({tz})")
    fig.autofmt_xdate()
    return fig
