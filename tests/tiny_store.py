"""A tiny store of known states, built on the fly, for tests of the scan, the states and the queries."""

from __future__ import annotations

import pandas as pd

UTC = "UTC"


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=UTC)


def tiny(make_store):
    """Two accounts, four items, known states; one corrupt item file."""
    b = make_store()
    b.account({"zimbraId": "acc-1", "mail": "One@Example.com", "zimbraMailAlias": ["alias@example.com"],
               "zimbraAccountStatus": "active", "zimbraCreateTimestamp": "20130712143544Z", "zimbraCOSId": "cos-a"},
              {"lastScan": 1393556400000, "deleted": False, "deletedDate": None})  # fmt: skip
    b.account({"zimbraId": "acc-2", "mail": "two@example.com"},
              {"lastScan": 1393556400000, "deleted": True, "deletedDate": 1389780000000})  # fmt: skip
    raw = b"From: a@example.com\nSubject: hi\n\nbody\n"
    digest = b.blob(raw)
    folder = {"id": 257, "type": "folder", "name": "Projects", "parentId": 2, "folderId": 2,
              "startDate": 1370000000000, "endDate": None, "deleted": False, "transactionId": 1}  # fmt: skip
    b.item("acc-1", 257, [folder])
    b.item("acc-1", 300, [
        {"id": 300, "type": 5, "folderId": 257, "startDate": 1373639744000, "endDate": 1373641473000,
         "deleted": False, "transactionId": 1, "digest": digest, "size": len(raw), "subject": "hi"},
        {"item_id": 300, "Type": "message", "folder_id": 3, "start_date": "2013-07-12T15:04:33Z",
         "end_date": None, "deleted": "true", "transaction_id": 2, "blob_digest": digest, "size": len(raw)},
    ])  # fmt: skip
    b.write("accounts/acc-1/items/05/405", b'{"states": [{"transactionId": 1, "startDate": 1373639744}]}')
    b.write("accounts/acc-2/items/06/406", b"[{not json")
    return b.root
