"""The recovery report's figures (matplotlib): what a person would rather look at than read.

Each function takes a frame and returns a Figure; `report_view.figure` turns it into a PNG.
The Agg canvas is used directly, so no GUI backend (nor pyplot state) is ever involved.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from ..investigate.coherency import by_kind
from ..investigate.timeline import DESC_CHANGED, DESC_CREATED, DESC_DELETED

WIDTH = 10.0
COLORS = {
    DESC_CREATED: "#4C78A8", DESC_CHANGED: "#F2CF5B", DESC_DELETED: "#E45756",
    "read_error": "#E45756", "broken": "#F58518", "invalid": "#B279A2", "not_in_backup": "#9D9D9D",
    "restorable": "#54A24B", "error": "#E45756", "warning": "#F58518", "info": "#4C78A8",
}  # fmt: skip
PALETTE = ["#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#EECA3B", "#B279A2", "#FF9DA6", "#9D755D"]


def _figure(height: float) -> tuple[Figure, object]:
    fig = Figure(figsize=(WIDTH, height), layout="constrained")
    return fig, fig.add_subplot()


def _stacked_bars(ax, table: pd.DataFrame, horizontal: bool = False) -> None:
    """Stacked bars of a frame (rows = bars, columns = stacked parts), each part in its colour."""
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


def states_over_time(timeline: pd.DataFrame) -> Figure:
    """Item states per month, split into first states, changes and deletions."""
    fig, ax = _figure(3.6)
    when = pd.to_datetime(timeline["datetime"], utc=True, format="ISO8601")
    month = when.dt.tz_localize(None).dt.to_period("M").astype(str)
    table = pd.crosstab(month, timeline["timestamp_desc"])
    table = table.reindex(columns=[c for c in (DESC_CREATED, DESC_CHANGED, DESC_DELETED) if c in table.columns])
    _stacked_bars(ax, table)
    ax.set_title("Item states over time (per month, UTC)")
    ax.set_ylabel("states")
    return fig


def items_per_type_and_account(items: pd.DataFrame) -> Figure:
    """Items (newest state) per account, stacked by type."""
    table = pd.crosstab(items["account"].astype(str), items["type"].astype(str))
    table = table[table.sum().sort_values(ascending=False).index]
    fig, ax = _figure(0.8 + 0.32 * max(len(table), 3))
    _stacked_bars(ax, table, horizontal=True)
    ax.set_title("Items per account and type")
    ax.set_xlabel("items")
    return fig


def causes(diagnosis: pd.DataFrame, order: tuple[str, ...]) -> Figure:
    """Unrestored items per account, stacked by cause."""
    table = pd.crosstab(diagnosis["account"].astype(str), diagnosis["cause"].astype(str))
    table = table.reindex(columns=[c for c in order if c in table.columns])
    fig, ax = _figure(0.8 + 0.35 * max(len(table), 3))
    _stacked_bars(ax, table, horizontal=True)
    ax.set_title("Unrestored items per account, by cause")
    ax.set_xlabel("items")
    return fig


def findings(found: pd.DataFrame) -> Figure:
    """Audit findings per kind, stacked by severity."""
    table = by_kind(found).set_index("kind").drop(columns="total")
    fig, ax = _figure(0.8 + 0.32 * max(len(table), 3))
    _stacked_bars(ax, table, horizontal=True)
    ax.set_title("Audit findings per kind, by severity")
    ax.set_xlabel("findings")
    return fig
