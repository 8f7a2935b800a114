"""Whole-store questions a batch of states at a time (store.state_batches): on an indexed store the
peak holds one batch and the answer, never every state."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from ..store.backup import BackupStore


def state_batches(store: BackupStore, accounts: list[str] | None = None) -> Iterator[pd.DataFrame]:
    """`store.state_batches(accounts)`, or one empty states frame when it yields none (no account): a
    question always has a frame to take its columns and dtypes from."""
    empty = True
    for batch in store.state_batches(accounts):
        empty = False
        yield batch
        del batch  # before the next is read: the peak holds one batch, not two
    if empty:
        yield store.item_states([])
