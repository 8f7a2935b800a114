"""Content search: the mails of a backup (deleted ones too) whose decoded text holds a pattern.

`zgrep` sees a blob's bytes: it misses a word in a base64 or quoted-printable body or in another
charset, and finds one in a header nobody reads. Here each blob is read once however many states
reference it (a mail delivered to ten mailboxes, an item's unchanged states), verified against its
digest, decompressed within the store's limit and parsed by `parse.mail_text` in worker processes
that open the tree themselves; a blob that cannot be read or parsed as declared is an errors row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..errors import ErrorRecord, EvidenceError, InvalidArgument, ZxError
from ..evidence.blobs import read_verified_blob
from ..evidence.files import Evidence
from ..format import digest as vdigest
from ..output import OutputDir
from ..parse.mail_text import SEARCH_FIELDS, mail_text
from ..runtime.shards import run_sharded
from ..store.backup import as_list, investigation
from ..store.states import is_all
from .extract import account_folder, eml_parts, extract_item

if TYPE_CHECKING:
    from ..store.backup import BackupStore

MIME_TYPES = ("message", "chat", "appointment", "task")  # items whose blob is an RFC 822 mail
HIT_COLUMNS = [
    "account", "account_id", "item_id", "transaction_id", "type", "folder_path", "start_date", "end_date",
    "deleted", "subject", "field", "snippet", "digest",
]  # fmt: skip
PARALLEL_MIN = 200  # blobs below which worker processes cost more than they save
SNIPPET = 60  # characters shown on each side of a match

# One worker result: (digest, [(field, snippet)] of the fields that match, error rows, whether it was read).
BlobHits = tuple[str, list[tuple[str, str]], list[dict], bool]


def compile_pattern(pattern: str, regex: bool = False) -> re.Pattern:
    """The pattern as a case-insensitive regular expression (a literal one unless `regex`)."""
    if not isinstance(pattern, str) or not pattern.strip():
        raise InvalidArgument("the search pattern is empty")
    try:
        return re.compile(pattern if regex else re.escape(pattern), re.IGNORECASE)
    except re.error as exc:
        raise InvalidArgument(f"invalid regular expression {pattern!r}: {exc}") from None


def check_fields(fields: Sequence[str] | str) -> tuple[str, ...]:
    chosen = tuple(f.strip().lower() for f in as_list(fields))
    unknown = [f for f in chosen if f not in SEARCH_FIELDS]
    if unknown or not chosen:
        raise InvalidArgument(f"fields must be among {', '.join(SEARCH_FIELDS)}, not {', '.join(unknown) or 'none'}")
    return chosen


def snippet(text: str, match: re.Match) -> str:
    """The match with SNIPPET characters of context on each side."""
    start, end = max(0, match.start() - SNIPPET), min(len(text), match.end() + SNIPPET)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


def search_blob(ev: Evidence, digest: str, compiled: re.Pattern, fields: tuple[str, ...], limit: int) -> BlobHits:
    """The fields of one blob that match, and what could not be read."""
    rel = vdigest.blob_relpath(digest) if vdigest.is_digest(digest) else digest
    try:
        raw, _layers = read_verified_blob(ev, digest, limit)
    except EvidenceError as exc:
        return digest, [], [ErrorRecord.of(exc, exc.path or rel)], False
    text = mail_text(raw, fields)
    hits = []
    for name in fields:
        value = text.fields.get(name, "")
        match = compiled.search(value)
        if match:
            hits.append((name, snippet(value, match)))
    return digest, hits, [ErrorRecord.of(problem, rel) for problem in text.problems], True


def search_blobs(root: str, digests: Sequence[str], *, pattern: str, regex: bool, fields: tuple[str, ...],
                 limit: int) -> list[BlobHits]:  # fmt: skip
    """Worker: search the blobs `digests` of the backup path at `root`."""
    ev = Evidence(root)
    compiled = compile_pattern(pattern, regex)
    return [search_blob(ev, digest, compiled, fields, limit) for digest in digests]


def candidate_states(store: BackupStore, accounts=None, date=None, include_deleted: bool = True) -> pd.DataFrame:
    """The states whose blob is a mail: every state (date None or `all`), or each item's state at `date`."""
    states = store.item_states(accounts) if date is None or is_all(date) else store.items(date, accounts)
    keep = states["type"].isin(MIME_TYPES) & states["digest"].notna()
    if not include_deleted:
        keep &= ~states["deleted"]
    return states[keep]


@investigation("search_content")
def search_content(
    store: BackupStore,
    pattern: str,
    accounts: list[str] | str | None = None,
    date: object = None,
    fields: Sequence[str] | str = SEARCH_FIELDS,
    regex: bool = False,
    include_deleted: bool = True,
) -> pd.DataFrame:
    """Every item state whose mail holds `pattern` (case-insensitive; a regular expression if `regex`) in
    one of `fields`: one HIT_COLUMNS row per state, `field` naming the fields that match (comma-separated)
    and `snippet` showing the first. `date` None searches every state; `last` or a date, each item's
    state then (vendor semantics). Blobs that cannot be read or parsed are rows of `store.errors`, and
    one that cannot be read is skipped by the store's later searches."""
    chosen = check_fields(fields)
    compile_pattern(pattern, regex)  # a bad pattern is refused before any work
    states = candidate_states(store, accounts, date, include_deleted)
    unreadable = store.memo("content_search.unreadable", set)  # a bomb is inflated once per store, not per search
    digests = [d for d in dict.fromkeys(states["digest"].astype(str)) if d not in unreadable]
    results = run_sharded(search_blobs, str(store.root), digests, workers=store.workers, parallel_min=PARALLEL_MIN,
                          desc="searching mails", unit="mail", pattern=pattern, regex=regex, fields=chosen,
                          limit=store.max_blob_size)  # fmt: skip
    first = states.drop_duplicates("digest")  # the state that names a blob's account and item in its errors rows
    first.index = first["digest"].astype(str)
    found = {}
    for digest, hits, errors, readable in results:
        if not readable:
            unreadable.add(digest)
        owner = first.loc[digest]  # one row per blob and kind (`once`), as the store's own reads
        store.record_errors([{**e, "account_id": str(owner["account_id"]), "item_id": int(owner["item_id"])}
                             for e in errors], once=True)  # fmt: skip
        if hits:
            found[digest] = (",".join(name for name, _ in hits), hits[0][1])
    matched = states[states["digest"].astype(str).isin(found.keys())].copy()
    keys = matched["digest"].astype(str)
    matched["field"] = [found[d][0] for d in keys]
    matched["snippet"] = [found[d][1] for d in keys]
    for column in ("account", "account_id", "type", "folder_path", "digest"):
        matched[column] = matched[column].astype("string")
    return matched[HIT_COLUMNS].reset_index(drop=True)


def extract_hit(store: BackupStore, hit, out_dir) -> dict:
    """Write a hit's state (a row of `search_content`) as `.eml` (`extract`); `status` is `written`,
    `exists` (asked twice: the file is there) or `failed`, with a `message` and the manifest `row`."""
    parts = eml_parts(account_folder(store, str(hit.account_id)), int(hit.item_id), hit.start_date)
    try:
        if OutputDir(out_dir, [store.root]).exists(*parts):
            return {"status": "exists", "message": f"already extracted: {Path(out_dir) / Path(*parts)}", "row": None}
        row = extract_item(store, str(hit.account_id), int(hit.item_id), out_dir, hit.start_date)
    except ZxError as exc:
        return {"status": "failed", "message": f"item {hit.item_id} of {hit.account}: {exc}", "row": None}
    return {"status": "written", "message": f"wrote {row['written_path']} (state {row['transaction_id']})", "row": row}
