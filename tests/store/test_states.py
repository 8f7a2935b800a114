"""The vendor's `date` semantics over item states: last, all, or an instant."""

from __future__ import annotations

from tiny_store import tiny

import zxforensics as zx


def test_items_date_semantics(make_store):
    store = zx.open_backup(tiny(make_store), tz="Europe/Paris")
    msg = store.items("12/07/2013 16:40:00")  # CEST: 14:40 UTC
    assert msg.loc[msg["item_id"] == 300, "transaction_id"].tolist() == [1]
    assert store.items("12/07/2013 17:04:33").query("item_id == 300")["transaction_id"].tolist() == [2]
    assert store.items("last").query("item_id == 300")["transaction_id"].tolist() == [2]
    assert store.items("01/01/2013 00:00:00").empty
    assert len(store.items("all")) == 4
