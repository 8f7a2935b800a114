"""The blobs of a store a group at a time: the listing of `items/` cut by the first character of its prefix
folders, and the references (states that name a blob) whose digest begins alike. A blob's canonical folder
is the first two characters of its digest, so a group's files and its references meet within the group;
a question on every blob (the audit, the summary's orphans) then holds one group, never the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..format import digest as vdigest
from ..store.frames import distinct_values

if TYPE_CHECKING:
    from ..store.backup import BackupStore

GROUP_BLOBS = 100_000  # blob files (and about as many references) the audit verifies and checks at once
COUNT_GROUP_BLOBS = 500_000  # blob files a count over the listing holds at once (~540 bytes each)


def even_groups(count: int) -> list[str]:
    """The digest alphabet cut into `count` (1 to 64) runs of first characters of about the same size."""
    count = max(1, min(count, len(vdigest.ALPHABET)))
    size = -(-len(vdigest.ALPHABET) // count)
    return [vdigest.ALPHABET[i : i + size] for i in range(0, len(vdigest.ALPHABET), size)]


def blob_figures(store: BackupStore) -> tuple[int, int, int]:
    """Blob files, their bytes on disk, and the orphans among them (no state references them; a misplaced
    file counts, as `store.blobs()["referenced"]` says). An indexed store asks DuckDB over the index's
    listing and states (no frame at all); otherwise the listing of `items/` is read a group of prefix
    folders at a time, never whole, each group's references a batch of states at a time."""
    if store.index_dir is not None:
        found = store.sql("SELECT count(*) AS files, coalesce(sum(compressed_size), 0) AS bytes, "
                          "count(*) FILTER (WHERE NOT referenced) AS orphans FROM blobs")  # fmt: skip
        return int(found["files"][0]), int(found["bytes"][0]), int(found["orphans"][0])
    groups = count_groups(store)
    files = size = orphans = 0
    for number, listing in enumerate(store.blob_file_groups(groups)):
        if listing.empty:  # blobless mode, a metadata-only copy, an empty group: no digest to look up
            continue
        files += len(listing)
        size += int(listing["compressed_size"].fillna(0).sum())
        orphans += unreferenced_files(store, listing, groups, number)
    return files, size, orphans


def count_groups(store: BackupStore) -> list[str]:
    """Groups of about COUNT_GROUP_BLOBS blob files each, cut by the store's state count (about two states a
    blob): for a question that keeps a figure or a few rows of each group, never its listing."""
    return even_groups(-(-store.state_count() // (2 * COUNT_GROUP_BLOBS)))


def canonical_sizes(store: BackupStore, digests) -> pd.Series:
    """digest -> compressed size of the blob file at its canonical place, for `digests` only (those with
    such a file), from the listing of `items/` a group of prefix folders at a time."""
    wanted = pd.Index(pd.unique(pd.Series(list(digests), dtype=object)))
    found = [listing.loc[~listing["misplaced"] & listing["digest"].isin(wanted), ["digest", "compressed_size"]]
             for listing in store.blob_file_groups(count_groups(store)) if not listing.empty]  # fmt: skip
    kept = pd.concat(found, ignore_index=True) if found else pd.DataFrame({"digest": [], "compressed_size": []})
    return pd.Series(kept["compressed_size"].to_numpy(), index=kept["digest"].astype(object).to_numpy(),
                     dtype="Int64", name="compressed_size")  # fmt: skip


def unreferenced_files(store: BackupStore, listing: pd.DataFrame, groups: list[str], number: int) -> int:
    """How many files of group `number`'s listing no state references (a misplaced file never is), the
    group's references read a batch of states at a time."""
    used = distinct_values(group_references(store, None, groups, number)["digest"])
    referenced = (used.get_indexer(listing["digest"]) >= 0) & ~listing["misplaced"].to_numpy(bool)
    return int((~referenced).sum())


def references(states: pd.DataFrame) -> pd.DataFrame:
    """`account_id, item_id, digest, size` of the states that reference a blob, one row per distinct claim
    (an item may claim several sizes), in the states' order: a batch's references, as columns (a million of
    them as Python objects cost over a gigabyte); `digest` stays categorical (codes, no string per row)."""
    used = states.loc[states["digest"].notna(), ["account_id", "item_id", "digest", "size"]]
    return used.drop_duplicates(ignore_index=True)


def in_group(digests: pd.Series, groups: list[str], number: int) -> np.ndarray:
    """Which digests begin with a character of group `number` (the last group: also with no digest character)."""
    first = digests.astype(object).str[:1].fillna("")
    mask = first.isin(set(groups[number])).to_numpy(bool)
    if number == len(groups) - 1:
        mask = mask | ~first.isin(set("".join(groups))).to_numpy(bool)
    return mask


def group_references(store: BackupStore, ids: list[str] | None, groups: list[str], number: int) -> pd.DataFrame:
    """`references` of the states of `ids` (every account: None) whose digest falls in group `number`
    (`groups` as `store.blob_file_groups` takes them). A whole indexed store asks DuckDB (the index's
    digests are read, no frame of every state is made); otherwise the states are read a batch at a time."""
    if ids is None and store.index_dir is not None:
        return sql_references(store, groups, number)
    parts = [refs if len(groups) == 1 else refs[in_group(refs["digest"], groups, number)]
             for refs in map(references, store.state_batches(ids))]  # fmt: skip
    if len(parts) == 1:
        return parts[0]
    return pd.concat(parts, ignore_index=True) if parts else no_references()


def sql_references(store: BackupStore, groups: list[str], number: int) -> pd.DataFrame:
    """`references` of every state whose digest falls in group `number`, from DuckDB over the index."""
    query = "SELECT DISTINCT account_id, item_id, digest, size FROM states WHERE digest IS NOT NULL AND "
    refs = store.sql(query + _in_group_sql(groups, number))
    return pd.DataFrame({"account_id": refs["account_id"].astype(object), "item_id": refs["item_id"].astype("int64"),
                         "digest": refs["digest"].astype("category"),
                         "size": refs["size"].astype("Int64")})  # fmt: skip


def _in_group_sql(groups: list[str], number: int) -> str:
    """`in_group` as a DuckDB condition on `digest`."""
    if len(groups) == 1:
        return "TRUE"
    chars = ", ".join(f"'{c}'" for c in groups[number])  # the digest alphabet: no quote to escape
    where = f"substr(digest, 1, 1) IN ({chars})"
    if number == len(groups) - 1:
        every = ", ".join(f"'{c}'" for c in "".join(groups))
        where = f"({where} OR substr(digest, 1, 1) NOT IN ({every}))"
    return where


def no_references() -> pd.DataFrame:
    return pd.DataFrame({"account_id": pd.Series(dtype=object), "item_id": pd.Series(dtype="int64"),
                         "digest": pd.Series(dtype=object), "size": pd.Series(dtype="Int64")})  # fmt: skip
