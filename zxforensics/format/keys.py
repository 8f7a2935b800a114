"""Tolerant field names of the metadata JSON (FORMAT.md §4, §10).

Keys match case-insensitively, with or without `_`; a few synonyms are accepted.
The cache makes the per-key cost one dict lookup, which matters at a million states.
"""

from __future__ import annotations

from functools import lru_cache

# Canonical state fields (FORMAT.md §4) under their folded spelling.
_STATE_FIELDS = {
    "transactionid": "transaction_id",
    "txid": "transaction_id",
    "id": "item_id",
    "itemid": "item_id",
    "type": "type",
    "itemtype": "type",
    "folderid": "folder_id",
    "startdate": "start_date",
    "enddate": "end_date",
    "deleted": "deleted",
    "digest": "digest",
    "blobdigest": "digest",
    "size": "size",
    "date": "date",
    "revision": "revision",
    "flags": "flags",
    "tags": "tags",
    "name": "name",
    "parentid": "parent_id",
    "ownerid": "owner_id",
    "remoteid": "remote_id",
    "subject": "subject",
    "sender": "sender",
}
# Containers that may hold the state list instead of a top-level array.
STATE_LIST_KEYS = ("states", "itemstates")


def fold(key: str) -> str:
    """`startDate`, `start_date` and `StartDate` all fold to `startdate`."""
    return key.replace("_", "").replace("-", "").lower()


@lru_cache(maxsize=4096)
def state_field(key: str) -> str | None:
    """Canonical name of a state key, or None for a key the kit does not use."""
    return _STATE_FIELDS.get(fold(key))


@lru_cache(maxsize=4096)
def folded(key: str) -> str:
    """Cached `fold`, for objects whose keys are looked up by folded name."""
    return fold(key)


def get_folded(obj: dict, *names: str):
    """First value of `obj` whose key folds to one of `names` (already folded), else None."""
    for key, value in obj.items():
        if folded(key) in names:
            return value
    return None
