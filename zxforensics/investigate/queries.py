"""The vendor's query verbs over a store: getItem, doItemSearch, getAccountInfo.

Functions over the store's frames; the CLI prints what they return.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..errors import InvalidArgument, NotFound
from ..store.backup import investigation
from ..store.states import at_instant, select_states

if TYPE_CHECKING:
    from ..store.backup import BackupStore

SEARCH_FILTERS = ("deleted", "all", "not_deleted")


@investigation("account_info")
def account_info(store: BackupStore, account: str, date: str = "most_recent") -> pd.DataFrame:
    """Every attribute of `account_info` as `attribute, value` rows, plus the backup's own stats.

    The backup keeps one account_info per account, its newest, so `date` can only be
    `most_recent` (or a date after the last scan, which returns the same)."""
    row = store.account_record(account)
    records = [(key, value) for key, value in row["info"].items()]
    for key in ("deleted", "deleted_date", "last_scan", "item_count"):
        records.append((f"backup.{key}", row[key]))
    return pd.DataFrame(records, columns=["attribute", "value"])


@investigation("get_item")
def get_item(store: BackupStore, account: str, item_id: int, date: object = "all") -> pd.DataFrame:
    """All states (or the one at `date`) of one item; NotFound when the backup has no such item."""
    account_id = store.resolve_account(account)
    states = store.item_states([account_id])
    states = states[states["item_id"] == int(item_id)]
    if states.empty:
        raise NotFound(f"item {item_id} of {account} not found in {store.root}")
    chosen = select_states(states, date, store.tz)
    if chosen.empty:
        raise NotFound(f"item {item_id} of {account} has no state valid at {date}")
    return chosen.sort_values(["start_date", "transaction_id"], kind="stable").reset_index(drop=True)


@investigation("search_items")
def search_items(
    store: BackupStore,
    account: str,
    text: str | None = None,
    type: str | None = None,
    before: object = None,
    after: object = None,
    filter: str = "deleted",
) -> pd.DataFrame:
    """Items of an account by their newest state: `text` in subject, sender or name
    (case-insensitive), `type`, and the item's date (its own date, else its state's start)
    before/after an instant. `filter`: `deleted` items only, `not_deleted`, or `all`."""
    if filter not in SEARCH_FILTERS:
        raise InvalidArgument(f"search_filter must be one of {', '.join(SEARCH_FILTERS)}, not {filter!r}")
    account_id = store.resolve_account(account)
    items = select_states(store.item_states([account_id]), "last", store.tz)
    keep = pd.Series(True, index=items.index)
    if filter == "deleted":
        keep &= items["deleted"]
    elif filter == "not_deleted":
        keep &= ~items["deleted"]
    if type:
        keep &= items["type"].astype(str).isin([t.strip().lower() for t in str(type).split(",")])
    if text:
        needle = str(text).lower()
        haystack = (_text(items["subject"]) + "\n" + _text(items["sender"]) + "\n" + _text(items["name"])).str.lower()
        keep &= haystack.str.contains(needle, regex=False)
    when = items["date"].fillna(items["start_date"])
    if before is not None:
        keep &= when < at_instant(before, store.tz)
    if after is not None:
        keep &= when > at_instant(after, store.tz)
    return items[keep].sort_values("item_id").reset_index(drop=True)


def _text(column: pd.Series) -> pd.Series:
    """A text column (plain or categorical) as str, a missing value as "" (never the text "nan")."""
    return column.astype(object).where(column.notna(), "").astype(str)
