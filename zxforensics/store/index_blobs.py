"""The listing of `items/` kept in the index: one Parquet part per group of prefix folders (those whose
name begins with one character of the digest alphabet; a last group for any other name), each with the
stats of its folders, so a warm store walks no blob folder again.

Why: the listing is one stat per blob file (a 5M-state store holds some 2.5 million: a walk of seconds and,
as a frame, over a gigabyte); the summary, the audit's groups and the `blobs` view read it again and again.
A group is listed again when one of its prefix folders is added, removed, or changes (a blob file added,
removed or renamed changes its folder's mtime). A blob file rewritten in place, with nothing else touched,
keeps its listed size until then: its content is what the audit and every read verify, never the listing.

Parts hold `digest, prefix, compressed_size, misplaced` in the listing's order (prefix, then name); `path`
is made again on reading (root, prefix and name), so a part does not repeat the root a million times.
"""

from __future__ import annotations

import stat
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import EvidenceError
from ..evidence.files import Evidence
from ..format import layout
from ..format.digest import ALPHABET
from . import scan
from .index import BLOBS_DIR, Index
from .index_build import PartWriter

OTHER = ""  # the group of prefix folders whose name begins with no digest character
GROUP_KEYS = (*ALPHABET, OTHER)
LISTING_SCHEMA = pa.schema([("digest", pa.string()), ("prefix", pa.string()), ("compressed_size", pa.int64()),
                            ("misplaced", pa.bool_())])  # fmt: skip
_FIRST = frozenset(ALPHABET)


def group_key(name: str) -> str:
    """The index group of a prefix folder: its first character, or OTHER."""
    return name[:1] if name[:1] in _FIRST else OTHER


def keys_of(chars: str, last: bool) -> list[str]:
    """The index groups behind a group of `store.blob_file_groups` (the last one also takes OTHER)."""
    return [*chars, OTHER] if last else list(chars)


def folder_fingerprints(ev: Evidence) -> dict[str, list] | None:
    """Per group key, `[name, type, size, mtime, inode]` of each of its entries of `items/`, by name; None
    when `items/` cannot be listed (the store then lists it as without an index, and records why)."""
    try:
        entries = ev.scandir(layout.ITEMS_DIR)
    except EvidenceError as exc:
        return {key: [] for key in GROUP_KEYS} if exc.kind == "missing" else None
    found: dict[str, list] = {key: [] for key in GROUP_KEYS}
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
            key = [stat.S_IFMT(info.st_mode), info.st_size, info.st_mtime_ns, info.st_ino]
        except OSError as exc:
            key = ["unreadable", exc.errno]
        found[group_key(entry.name)].append([entry.name, *key])
    return found


def part_table(listing: pa.Table) -> pa.Table:
    """A listing of `scan.scan_blobs` as a part holds it (no `path`)."""
    return listing.select(LISTING_SCHEMA.names).cast(LISTING_SCHEMA)


def with_paths(listing: pa.Table, root: str) -> pa.Table:
    """Parts read back as `scan.scan_blobs` lists them: `path` (root/items/prefix/name) after `prefix`,
    rows by prefix then name (the listing's order: groups interleave when a name begins with no digest
    character)."""
    if listing.num_rows:
        listing = listing.take(pc.sort_indices(listing, [("prefix", "ascending")]))  # stable: names stay sorted
    base = f"{root}/{layout.ITEMS_DIR}/"
    path = pc.binary_join_element_wise(pa.scalar(base), listing["prefix"], pa.scalar("/"), listing["digest"], "")
    return listing.add_column(2, "path", path.cast(pa.string()))


def concat_parts(tables: Sequence[pa.Table]) -> pa.Table:
    return pa.concat_tables(tables) if tables else LISTING_SCHEMA.empty_table()


def indexed_listing(index: Index, manifest: dict, ev: Evidence, keys: Sequence[str]) -> tuple[pa.Table, list[dict]]:
    """`scan.scan_blobs` of the groups `keys` from the index (brought `up_to_date` first): the listing and
    its error records. Raises IndexDamaged when a part does not read as the manifest says."""
    entries = manifest["blobs"]
    tables, errors = [], []
    for key in keys:
        errors.extend(entries[key]["errors"])
        if entries[key]["rows"]:
            tables.append(index.read_listing(entries[key]))
    errors.sort(key=lambda record: str(record.get("path")))  # by prefix folder, as the walk meets them
    return with_paths(concat_parts(tables), str(ev.root)), errors


def _stale(manifest: dict, folders: dict[str, list], keys: Sequence[str]) -> list[str]:
    known = manifest.get("blobs", {})
    return [key for key in keys if key not in known or known[key]["fp"] != folders[key]]


def up_to_date(index: Index, manifest: dict, ev: Evidence, folders: dict[str, list], keys: Sequence[str]) -> dict:
    """The manifest with every group of `keys` listed as its folders are now (under the lock, committed)."""
    if not _stale(manifest, folders, keys):
        return manifest
    with index.locked():
        manifest = index.load()  # another process may have listed them meanwhile
        stale = _stale(manifest, folders, keys)
        if stale:
            listed = {key: list_group(index, ev, key, folders[key]) for key in stale}
            manifest = dict(manifest, blobs={**manifest.get("blobs", {}), **listed})
            index.commit(manifest)
    return manifest


def list_group(index: Index, ev: Evidence, key: str, fingerprint: list) -> dict:
    """Walk one group's prefix folders into a new part; its manifest entry (`fp` taken before the walk, so a
    change during it is seen next time)."""
    if not fingerprint:  # no folder in the group: nothing to walk
        return {"fp": fingerprint, "errors": [], "misplaced": [], "rows": 0, "part": None, "size": 0}
    table, errors = scan.scan_blobs(str(ev.root), lambda name: group_key(name) == key)
    misplaced = table.filter(table["misplaced"]).select(["digest", "prefix"]).to_pylist()
    entry = {"fp": fingerprint, "errors": errors, "misplaced": [[r["digest"], r["prefix"]] for r in misplaced],
             "rows": table.num_rows, "part": None, "size": 0}  # fmt: skip
    if table.num_rows:
        writer = PartWriter(index.folder, index.root, LISTING_SCHEMA, BLOBS_DIR)
        try:
            writer.add(part_table(table))
        except BaseException:
            writer.abort()
            raise
        info = writer.close()
        entry.update(part=info["part"], size=info["size"])
    return entry


def listing_parts(index: Index, manifest: dict, ev: Evidence,
                  folders: dict[str, list]) -> tuple[dict, list[str], list[dict], list[list[str]]]:  # fmt: skip
    """The whole listing as the index's parts, for DuckDB to read itself (no frame of every blob): the
    manifest (up to date), the parts' paths, the listing's error records and its misplaced `[digest,
    prefix]` pairs."""
    manifest = up_to_date(index, manifest, ev, folders, GROUP_KEYS)
    entries = [manifest["blobs"][key] for key in GROUP_KEYS]
    paths = [str(index.part_path(entry["part"])) for entry in entries if entry["part"]]
    errors = sorted((r for entry in entries for r in entry["errors"]), key=lambda record: str(record.get("path")))
    return manifest, paths, errors, [pair for entry in entries for pair in entry["misplaced"]]
