"""The seed document's own examples, placed so that its commands give its answers.

- admin@example.com item 24700: the deleted message of "Items Not Restored because Identified
  as Broken Items", states from 12/07/2013 16:35:44 CEST, blob = the seed's restored.eml.
- the unrestored items of the seed's notification excerpt: account1 1255, 1369;
  account2 49965; account14 856, 13339, 45200, 45655 (their faults are in `faults`).
"""

from __future__ import annotations

from .builder import StoreBuilder
from .catalog import account_id, ms
from .generate import AccountPlan, chain
from .messages import SEED_RESTORED_EML

SEED_ITEM = ("admin@example.com", 24700)
# 12/07/2013 16:35:44, 12/07/2013 17:04:33, 15/07/2013 10:03:26 CEST (UTC+2)
SEED_STARTS = (ms(2013, 7, 12, 14, 35, 44), ms(2013, 7, 12, 15, 4, 33), ms(2013, 7, 15, 8, 3, 26))
SEED_UNRESTORED = {
    "account1@domain.com": (1255, 1369),
    "account2@domain.com": (49965,),
    "account14@domain.com": (856, 13339, 45200, 45655),
}
SEED_STATS = {"restored": 15233, "skipped": 125, "unrestored": 10}


def add(builder: StoreBuilder, plans: dict[str, AccountPlan]) -> None:
    digest = builder.blob(SEED_RESTORED_EML)
    states = [
        {"id": SEED_ITEM[1], "type": "message", "folderId": folder, "startDate": start, "deleted": True,
         "digest": digest, "size": len(SEED_RESTORED_EML), "date": ms(2013, 7, 12, 14, 35, 43), "revision": n,
         "subject": "Service mailboxd started on test.example.com", "sender": "admin@example.com"}
        for n, (start, folder) in enumerate(zip(SEED_STARTS, (2, 3, 3), strict=True), start=1)
    ]  # fmt: skip
    builder.item(account_id(SEED_ITEM[0]), SEED_ITEM[1], chain(states))
    plans[SEED_ITEM[0]].item_ids.append(SEED_ITEM[1])
    add_invalid_1369(builder, plans)


def add_invalid_1369(builder: StoreBuilder, plans: dict[str, AccountPlan]) -> None:
    """account1's 1369: intact in the backup, but a header line over 998 octets (RFC 5322 2.1.1)
    makes an LMTP validator refuse it: the seed's "Invalid item"."""
    raw = (
        b"From: Newsletter <news@domain.com>\n"
        b"To: account1@domain.com\n"
        b"Subject: Weekly digest\n"
        b"Date: Tue, 14 Jan 2014 08:00:00 +0100\n"
        b"X-Tracking: " + b"a" * 1200 + b"\n"
        b"\n"
        b"This week's news.\n"
    )
    digest = builder.blob(raw)
    start = ms(2014, 1, 14, 7, 0, 5)
    states = [{"id": 1369, "type": "message", "folderId": 2, "startDate": start, "deleted": False,
               "digest": digest, "size": len(raw), "date": start, "subject": "Weekly digest",
               "sender": "news@domain.com"}]  # fmt: skip
    builder.item(account_id("account1@domain.com"), 1369, chain(states))
    plans["account1@domain.com"].item_ids.append(1369)
