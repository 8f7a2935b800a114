"""The vendor's `date` semantics over a states frame (FORMAT.md §4): last, all, or an instant."""

from __future__ import annotations

from datetime import tzinfo

import pandas as pd

from ..format.dates import parse_user_date

ITEM_KEY = ["account_id", "item_id"]


def at_instant(date: object, tz: str | tzinfo | None) -> pd.Timestamp:
    """A user's date (`dd/MM/yyyy HH:mm:ss` in `tz`, ISO or datetime) as a UTC Timestamp."""
    return pd.Timestamp(parse_user_date(date, tz))


def is_all(date: object) -> bool:
    """The vendor's `date all`: every state (or every snapshot)."""
    return isinstance(date, str) and date.strip().lower() == "all"


def is_last(date: object) -> bool:
    """The vendor's `date last` (and `latest`): the newest state (or snapshot)."""
    return isinstance(date, str) and date.strip().lower() in ("last", "latest")


def select_states(states: pd.DataFrame, date: object = "last", tz: str | tzinfo | None = None) -> pd.DataFrame:
    """`last`: each item's state with the greatest start; `all`: every state; an instant T:
    the state with start <= T < end (end missing = still current)."""
    if is_all(date):
        return states
    if is_last(date):
        if states.empty:
            return states
        order = states.sort_values([*ITEM_KEY, "start_date", "transaction_id"], kind="stable")
        return order.drop_duplicates(ITEM_KEY, keep="last").sort_index()
    instant = at_instant(date, tz)
    valid = (states["start_date"] <= instant) & (states["end_date"].isna() | (instant < states["end_date"]))
    chosen = states[valid]
    return chosen.sort_values([*ITEM_KEY, "start_date"], kind="stable").drop_duplicates(ITEM_KEY, keep="last")
