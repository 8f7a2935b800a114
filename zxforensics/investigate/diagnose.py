"""Why an item was (or would be) left behind by a restore: the seed's "Unrestored Items" by hand, as a table.

    zx.diagnose(store, "restore_report.eml")     # one row per unrestored item of the report
    zx.diagnose(store)                           # the pre-flight check: every item of the store
    zx.diagnose(store, accounts=["bob@example.com"])
    zx.preflight(store)                          # the same check of a whole store, kept small: counts
                                                 # of every item, rows of those a restore would leave behind

Causes and `last_valid_state` are named in FORMAT.md §9: `read_error` (metadata or blob cannot be
read), `broken` (read but corrupt), `invalid` (intact but refused by an LMTP validator),
`not_in_backup` (no metadata), `restorable` (everything verifies: the cause lies on the target).
Each blob is read and verified once per call, whatever number of states share it (past CHECK_CACHE
verdicts, those of blobs that verify are forgotten: memory stays bounded, a blob met again is read again).
On an indexed store the LMTP findings of each message that verified are kept by digest between runs
(store.content_memo): a later call reads and verifies every blob again, and checks only new messages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import ErrorRecord, EvidenceError, NotFound
from ..evidence.blobs import read_verified_blob
from ..evidence.files import Evidence
from ..format.names import CAUSES
from ..parse.notification import ADDS_UP, Notification
from ..runtime.shards import run_sharded
from .lmtp import Finding, decode_findings, encode_findings, rules_token, validate_message
from .verified_blobs import VerifiedBlobs

if TYPE_CHECKING:
    from ..store.backup import BackupStore

Keep = Callable[[pd.DataFrame], pd.DataFrame]  # the rows of a diagnosed piece worth keeping

COLUMNS = [
    "account", "account_id", "item_id", "cause", "detail", "type", "folder_path", "states",
    "last_valid_state", "digest", "blob_path", "recoverable_eml",
]  # fmt: skip
# FORMAT.md §9 error kinds -> causes. The seed: a read error is an I/O or permission problem,
# a broken item is readable but corrupt. A file found under the wrong folder is missing where
# a restore looks for it (FORMAT.md §9, "misplaced"), so it is a read error too.
READ_ERROR_KINDS = ("missing", "not_regular_file", "link_outside", "unreadable", "misplaced", "hostile_member")
BROKEN_KINDS = ("invalid_json", "invalid_metadata", "not_gzip", "truncated_gzip", "digest_mismatch", "too_large",
                "bad_name")  # fmt: skip
# Types whose blob is an RFC 822 message that a restore injects as mail (what the LMTP validator sees).
MESSAGE_TYPES = ("message",)
RESTORABLE_DETAIL = "metadata and blob verify: the cause lies outside the backup (the target server)"
# Blobs below which they are read (and messages checked) here: a pool costs more than it saves. The LMTP
# checks are most of a first pre-flight diagnosis (50,000 items: 8.4 s in one process, 0.3 ms a message).
PARALLEL_MIN_BLOBS = 2000


def cause_of(kind: str) -> str:
    """The cause an error kind leads to (an unknown kind is taken as a read error)."""
    return "broken" if kind in BROKEN_KINDS else "read_error"


@dataclass(frozen=True, slots=True)
class BlobCheck:
    """The verdict on one digest: None when it verifies, else the error; LMTP findings when asked."""

    error: EvidenceError | None
    findings: tuple | None = None


# The verdicts of most blobs, shared: a diagnosis of a whole store keeps one per digest (~200 bytes each saved).
VERIFIES = BlobCheck(None)
VERIFIES_CLEAN = BlobCheck(None, ())


def verifies_with(findings: list[Finding] | None) -> BlobCheck:
    """The verdict on a blob that verifies, with its LMTP findings when asked."""
    if findings is None:
        return VERIFIES
    return BlobCheck(None, tuple(findings)) if findings else VERIFIES_CLEAN


# Verdicts a BlobChecker keeps (~150 bytes each): past this, those of blobs that verify are dropped, and
# the failures kept (each is a row of the errors table already).
CHECK_CACHE = 500_000


class BlobChecker:
    """Reads and verifies each digest once per diagnosis (a gzip bomb costs its second only once).

    On an indexed store the LMTP findings of a message that verifies are kept in the index by its digest
    (store.content_memo): a later diagnosis still reads and verifies every blob, but runs the checks only
    on messages no earlier run met. Call `done` at the end, to keep what this one learned. Given `verified`,
    every blob that reads back and verifies is recorded there too, for an audit later in the same run."""

    def __init__(self, store: BackupStore, limit: int | None = None, verified: VerifiedBlobs | None = None) -> None:
        self.store = store
        self.limit = CHECK_CACHE if limit is None else limit
        self.room = self.limit  # the size at which the cache is next thinned (failures are always kept)
        self.cache: dict[str, BlobCheck] = {}
        self.memo = store.content_memo("lmtp", rules_token())
        self.verified = verified

    def _keep(self, digest: str, verdict: BlobCheck) -> BlobCheck:
        if len(self.cache) >= self.room:
            self.cache = {d: known for d, known in self.cache.items() if known.error is not None}
            self.room = len(self.cache) + self.limit  # linear even when most blobs fail
        self.cache[digest] = verdict
        return verdict

    def check(self, digest: str, validate: bool = False) -> BlobCheck:
        known = self.cache.get(digest)
        if known is not None and (known.error is not None or not validate or known.findings is not None):
            return known
        try:
            raw, layers = self.store.read_blob_checked(digest)
        except EvidenceError as exc:
            return self._keep(digest, BlobCheck(exc))
        if self.verified is not None:
            self.verified.add(digest, len(raw), layers)
        return self._keep(digest, verifies_with(self._findings(digest, raw) if validate else None))

    def _findings(self, digest: str, raw: bytes) -> list[Finding]:
        """The LMTP findings of a message that verified: kept by an earlier run, or found (and kept) now."""
        kept = self._kept([digest]).get(digest)
        if kept is not None:
            return kept
        findings = validate_message(raw)
        if self.memo is not None:
            self.memo.learn(digest, encode_findings(findings))
        return findings

    def prefetch(self, blobs: Sequence[tuple[str, bool]], workers: int | None = None) -> None:
        """Read and verify many blobs at once in worker processes, `(digest, validate)`: with `validate` (a
        message's) its LMTP checks run too, unless an earlier run kept its findings. Only a blob that
        verifies is kept: one that does not is read again by `check`, here, so the store records its error
        and names a misplaced copy exactly as it does without a pool."""
        wanted: dict[str, bool] = {}
        for digest, validate in blobs:
            if digest not in self.cache:
                wanted[digest] = wanted.get(digest, False) or validate
        todo = {d: validate for d, validate in wanted.items() if not self.store.blob_failed(d)}
        if len(todo) < PARALLEL_MIN_BLOBS:
            return
        kept = self._kept([digest for digest, validate in todo.items() if validate])
        tasks = [(digest, validate and digest not in kept) for digest, validate in todo.items()]
        found = run_sharded(validate_blobs, str(self.store.root), tasks, limit=self.store.max_blob_size,
                            workers=workers if workers is not None else self.store.workers,
                            parallel_min=PARALLEL_MIN_BLOBS, desc="verifying blobs", unit="blob")  # fmt: skip
        for (digest, validate), result in zip(tasks, found, strict=True):
            if result is None:
                continue
            findings, size, layers = result
            if self.verified is not None:
                self.verified.add(digest, size, layers)
            if validate and self.memo is not None:
                self.memo.learn(digest, encode_findings(findings))
            self._keep(digest, verifies_with(findings if validate else kept.get(digest)))

    def _kept(self, digests: Sequence[str]) -> dict[str, list[Finding]]:
        """The findings an earlier run kept for some digests (a value that does not decode is a miss)."""
        if self.memo is None:
            return {}
        decoded = {digest: decode_findings(text) for digest, text in self.memo.lookup(digests).items()}
        return {digest: findings for digest, findings in decoded.items() if findings is not None}

    def done(self) -> None:
        """Keep what this diagnosis learned (the findings of messages no earlier run had met)."""
        if self.memo is not None:
            self.memo.flush()

    def verifies(self, digest: object, validate: bool = False) -> bool:
        """A state without a blob has nothing to verify; one with a blob verifies when it reads back.
        `validate` runs the LMTP checks during the same read (for message states), so no blob is read twice."""
        return not isinstance(digest, str) or self.check(digest, validate).error is None


# A blob that verified, as a worker gives it: its LMTP findings (a message's, when asked), raw size, gzip layers.
Validated = tuple[list[Finding], int, int]


def validate_blobs(root: str, tasks: Sequence[tuple[str, bool]], limit: int) -> list[Validated | None]:
    """Worker: for each `(digest, validate)`, None when the blob does not read and verify, else its LMTP
    findings (when `validate`; [] when not: the caller has them already), raw size and gzip layers."""
    ev = Evidence(root)
    found: list[Validated | None] = []
    for digest, validate in tasks:
        try:
            raw, layers = read_verified_blob(ev, digest, limit)
        except EvidenceError:
            found.append(None)
            continue
        found.append((validate_message(raw) if validate else [], len(raw), layers))
    return found


# -- which items ----------------------------------------------------------------------------
def report_items(report) -> pd.DataFrame:
    """`account, item_id` (and `report` when given) of the unrestored items of a report in any form."""
    if isinstance(report, Notification):
        return report.unrestored[["account", "item_id"]].copy()
    if isinstance(report, pd.DataFrame):
        frame = report
        if "kind" in frame:
            frame = frame[frame["kind"] == "unrestored"]
        keep = [c for c in ("report", "account", "item_id") if c in frame]
        return frame[keep].reset_index(drop=True)
    raise TypeError(f"a report is a Notification (zx.read_notification reads one) or a DataFrame, "
                    f"not {type(report).__name__}")


def _resolve(store: BackupStore, names) -> dict[str, str | None]:
    """name -> account id (None when the backup lacks it), each distinct name resolved once."""
    resolved = {}
    for name in dict.fromkeys(names):
        try:
            resolved[name] = store.resolve_account(str(name))
        except NotFound:
            resolved[name] = None
    return resolved


def _names(store: BackupStore, account_ids) -> list[str]:
    """The mail address of each id, looked up once per distinct id (each lookup rebuilds the store's name table)."""
    names = {i: store.account_name(i) for i in dict.fromkeys(account_ids)}
    return [names[i] for i in account_ids]


def store_items(store: BackupStore, states: pd.DataFrame, errors: pd.DataFrame) -> pd.DataFrame:
    """Every item of the scanned accounts: those with states and those whose metadata failed to read
    (`errors`: item_errors rows), `account, account_id, item_id` in the order of the diagnosis."""
    return in_store_order(item_keys(store, states, errors))


def item_keys(store: BackupStore, states: pd.DataFrame | None, errors: pd.DataFrame, offset: int = 0) -> pd.DataFrame:
    """`account, account_id, item_id, _errors, _seq` of the items with states (`_seq`: the first state's place
    among the store's states, from `offset`: a batch's are counted after the batches before), then of those
    whose metadata failed to read (`errors`, item_errors rows; `_seq`: the first error's row)."""
    parts = [errors[["account_id", "item_id"]].assign(_errors=1, _seq=errors.index.to_numpy(dtype="int64"))]
    if states is not None:
        keys = states[["account_id", "item_id"]].assign(_errors=0, _seq=offset + np.arange(len(states)))
        parts.insert(0, keys.astype({"account_id": "object"}))
    keys = pd.concat(parts, ignore_index=True).astype({"account_id": "object", "item_id": "int64"})
    keys = keys.drop_duplicates(["account_id", "item_id"], ignore_index=True)
    keys.insert(0, "account", pd.Series(_names(store, list(keys["account_id"])), dtype="object"))
    return keys


def in_store_order(table: pd.DataFrame) -> pd.DataFrame:
    """Rows of item_keys (and what was added to them) by address (case-folded) and item; an item with states
    before an unreadable one, each in the order of the states or of the errors table; helpers dropped."""
    names = pd.factorize(table["account"].str.lower(), sort=True)[0]
    order = np.lexsort((table["_seq"].to_numpy(), table["_errors"].to_numpy(), table["item_id"].to_numpy(), names))
    return table.drop(columns=["_errors", "_seq"]).take(order).reset_index(drop=True)


def item_errors(errors: pd.DataFrame) -> pd.DataFrame:
    """Errors of item metadata files (not of blobs, archives or account headers), with an item id."""
    if errors.empty:
        return errors.assign(account_id=pd.Series(dtype="object"), item_id=pd.Series(dtype="int64"))
    rows = errors[errors["item_id"].notna() & errors["account_id"].notna()]
    rows = rows[rows["path"].astype(str).str.contains("/items/", regex=False)]
    rows = rows[rows["path"].astype(str).str.startswith("accounts/")]
    return rows.astype({"account_id": "object", "item_id": "int64", "kind": "object"})


# -- one item -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class State:
    """What the diagnosis needs of one state (plain values: iterating frames per item is slow)."""

    transaction_id: int
    type: str
    folder_path: str | None
    digest: str | None
    blob_path: str | None


def _metadata_verdict(problems: list[dict]) -> tuple[str, str]:
    """Cause and detail from the error rows of an item file; read errors outrank broken content."""
    ranked = sorted(problems, key=lambda r: cause_of(r["kind"]) != "read_error")
    first = ranked[0]
    more = f" (+{len(ranked) - 1} more)" if len(ranked) > 1 else ""
    return cause_of(first["kind"]), f"metadata {first['kind']}: {first['detail']}{more} ({first['path']})"


def _state_verdict(newest: State, checker: BlobChecker) -> tuple[str, str]:
    """Cause and detail from an item's newest state: its blob, then what the LMTP validator says."""
    if newest.digest is None:
        return "restorable", f"metadata verifies ({newest.type}, no blob): the cause lies outside the backup"
    verdict = checker.check(newest.digest, validate=newest.type in MESSAGE_TYPES)
    if verdict.error is not None:
        err = verdict.error
        return cause_of(err.kind), f"blob of state {newest.transaction_id} {err.kind}: {err.detail}"
    if verdict.findings:
        return "invalid", "; ".join(str(f) for f in verdict.findings)
    return "restorable", RESTORABLE_DETAIL


def _last_valid(states: list[State], checker: BlobChecker) -> tuple[int | None, bool]:
    """The transactionId of the newest state whose blob verifies, and whether that state has a blob."""
    for state in reversed(states):
        if checker.verifies(state.digest, validate=state.type in MESSAGE_TYPES):
            return state.transaction_id, state.digest is not None
    return None, False


def diagnose_item(key: dict, states: list[State], problems: list[dict], checker: BlobChecker) -> dict:
    """One row of the diagnosis for the item `key` (account, account_id, item_id)."""
    row = dict.fromkeys(COLUMNS)
    row.update(key, states=len(states), recoverable_eml=False)
    if not isinstance(key["account_id"], str):
        row.update(cause="not_in_backup", detail=f"account {key['account']} is not in the backup")
        return row
    if not states and not problems:
        row.update(cause="not_in_backup", detail=f"no metadata for item {key['item_id']} of {key['account']}")
        return row
    if states:
        newest = states[-1]
        row.update(type=newest.type, folder_path=newest.folder_path, digest=newest.digest, blob_path=newest.blob_path)
        row["last_valid_state"], row["recoverable_eml"] = _last_valid(states, checker)
    if problems:
        row["cause"], row["detail"] = _metadata_verdict(problems)
    else:
        row["cause"], row["detail"] = _state_verdict(states[-1], checker)
    return row


# -- the table ------------------------------------------------------------------------------
def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


class ItemRows:
    """The rows of a frame of states that belong to some items, found in time linear in those rows: the
    states are grouped by item once (a sort of their codes), and each question gathers its items' runs."""

    def __init__(self, states: pd.DataFrame) -> None:
        codes, self.items = pd.MultiIndex.from_arrays([states["account_id"].astype(object),
                                                       states["item_id"]]).factorize()  # fmt: skip
        self.order = np.argsort(codes, kind="stable")
        ranked = codes[self.order]
        self.starts = np.searchsorted(ranked, np.arange(len(self.items)), "left")
        self.ends = np.searchsorted(ranked, np.arange(len(self.items)), "right")

    def __call__(self, keys: pd.DataFrame) -> np.ndarray:
        """Positions (in the frame's order) of the states of the items `account_id, item_id` of `keys`."""
        wanted = self.items.get_indexer(pd.MultiIndex.from_arrays([keys["account_id"].astype(object),
                                                                   keys["item_id"]]))  # fmt: skip
        wanted = np.unique(wanted[wanted >= 0])
        lengths = self.ends[wanted] - self.starts[wanted]
        firsts = np.repeat(self.starts[wanted] - (np.cumsum(lengths) - lengths), lengths)
        return np.sort(self.order[firsts + np.arange(int(lengths.sum()))])


def states_by_item(states: pd.DataFrame) -> dict[tuple[str, int], list[State]]:
    """(account_id, item_id) -> its states, oldest first (the frame is in that order already)."""
    grouped: dict[tuple[str, int], list[State]] = {}
    columns = ("account_id", "item_id", "transaction_id", "type", "folder_path", "digest", "blob_path")
    for account_id, item_id, tx, kind, folder, digest, blob in zip(*(states[c] for c in columns), strict=True):
        digest = _text(digest)
        state = State(int(tx), str(kind), _text(folder), digest, _text(blob) if digest else None)
        grouped.setdefault((str(account_id), int(item_id)), []).append(state)
    return grouped


def errors_by_item(errors: pd.DataFrame) -> dict[tuple[str, int], list[dict]]:
    grouped: dict[tuple[str, int], list[dict]] = {}
    for record in item_errors(errors).to_dict("records"):
        grouped.setdefault((str(record["account_id"]), int(record["item_id"])), []).append(record)
    return grouped


def wanted_items(store: BackupStore, report, accounts=None) -> pd.DataFrame:
    """`report, account, account_id, item_id` of the items a notification (or report frame) names."""
    items = report_items(report)
    record_input_problems(store, report)
    resolved = _resolve(store, items["account"])
    items["account_id"] = [resolved[a] for a in items["account"]]
    known = items["account_id"].notna()
    items.loc[known, "account"] = _names(store, list(items.loc[known, "account_id"]))
    if accounts is not None:
        items = items[items["account_id"].isin(_resolve_all(store, accounts))]
    order = [c for c in ("report", "account", "account_id", "item_id") if c in items]
    return items[order].astype({"item_id": "int64"}).reset_index(drop=True)


def record_input_problems(store: BackupStore, report) -> None:
    """The lines of a notification that did not parse are read failures of an input named for this store:
    rows of its errors table (`invalid_metadata`, the notification as their path)."""
    problems = getattr(report, "problems", None) or []
    path = getattr(report, "source", None) or "notification"
    store.record_errors([ErrorRecord(str(path), "invalid_metadata", str(p)).as_dict() for p in problems])


def _resolve_all(store: BackupStore, accounts) -> list[str]:
    names = [a.strip() for a in accounts.split(",")] if isinstance(accounts, str) else list(accounts)
    return [store.resolve_account(a) for a in names if a]


def diagnose(store: BackupStore, report=None, accounts=None, verified: VerifiedBlobs | None = None) -> pd.DataFrame:
    """One row per unrestored item of `report` (a Notification, a frame or a path), or, without a
    report, per item of the store (or of `accounts`): the pre-flight check of an External Restore.

    Columns: account, account_id, item_id, cause, detail, type, folder_path, states,
    last_valid_state, digest, blob_path, recoverable_eml (+ report, when the input has one).

    The states are read a batch of whole accounts at a time (store.state_batches): on an indexed store
    the peak holds one batch and the table (one row per item), never every state. Given `verified`, the
    blobs that verified are recorded there, for an audit in the same run (`store.audit(verified=...)`)."""
    if report is None:
        ids = list(store.accounts()["account_id"]) if accounts is None else _resolve_all(store, accounts)
        return _diagnose_accounts(store, ids, verified=verified)
    wanted = wanted_items(store, report, accounts)
    extra = ["report"] if "report" in wanted else []
    wanted = wanted.assign(_pos=np.arange(len(wanted)))
    present = [a for a in pd.unique(wanted["account_id"].dropna()) if isinstance(a, str)]
    checker = BlobChecker(store, verified=verified)
    pieces, done = [], set()
    for batch in store.state_batches(present) if present else []:
        held = set(batch["account_id"].astype(str))
        done |= held
        keys = wanted[wanted["account_id"].isin(held)]
        pieces.append(_diagnose_frame(store, keys, batch, held, checker, extra))
        del batch
    rest = wanted[~wanted["account_id"].isin(done)]  # accounts without states, or not in the backup
    pieces.append(_diagnose_frame(store, rest, None, None, checker, extra))
    checker.done()
    table = pd.concat(pieces, ignore_index=True).sort_values("_pos", kind="stable")
    table = table.drop(columns="_pos").reset_index(drop=True)
    if extra:  # the column's type as one frame of every row would infer it
        table["report"] = pd.DataFrame({"report": table["report"].tolist()})["report"]
    return table


# Items diagnosed at once: until its slice becomes a frame, a row is a dict (about 1 KiB) and its states State objects.
ROWS_AT_ONCE = 50_000


def _diagnose_frame(store: BackupStore, keys: pd.DataFrame, states: pd.DataFrame | None, held: set[str] | None,
                    checker: BlobChecker, extra: list[str] | tuple = (),
                    keep: Keep | None = None) -> pd.DataFrame:  # fmt: skip
    """The finished rows of `keys` (`account, account_id, item_id` and `extra`; their columns named `_...`
    are carried along), whose states are all in `states` (None: they have none) and whose item errors are
    those of the accounts `held` (None: every account); only those `keep` returns, when given."""
    errors = store.errors
    by_problem = errors_by_item(errors if held is None else errors[errors["account_id"].isin(held)])
    rows_of = None if states is None else ItemRows(states)
    named = [*extra, "account", "account_id", "item_id"]
    carried = [c for c in keys.columns if c.startswith("_")]
    pieces = []
    for start in range(0, max(len(keys), 1), ROWS_AT_ONCE):
        part = keys.iloc[start : start + ROWS_AT_ONCE]
        by_item = {}  # the states of this slice's items only: a State per state costs about 0.8 KiB
        if rows_of is not None and len(part):
            by_item = states_by_item(states.take(rows_of(part)))
        checker.prefetch(newest_blobs(part, by_item))
        rows = []
        for key in part[named].to_dict("records"):
            index = (str(key["account_id"]), int(key["item_id"]))
            rows.append(diagnose_item(key, by_item.get(index, []), by_problem.get(index, []), checker))
        piece = _finish(pd.DataFrame(rows, columns=[*extra, *COLUMNS]))
        piece = piece.assign(**{c: part[c].to_numpy() for c in carried})
        pieces.append(piece if keep is None else keep(piece))
        del rows, by_item
    return pd.concat(pieces, ignore_index=True) if len(pieces) > 1 else pieces[0]


def _diagnose_accounts(store: BackupStore, ids: list[str], keep: Keep | None = None,
                       verified: VerifiedBlobs | None = None) -> pd.DataFrame:  # fmt: skip
    """Every item of the accounts `ids` (only the rows `keep` returns, when given), a batch of states at a
    time. Each batch gives the rows of its items with states and of its items whose metadata failed to
    read; the accounts with no state at all come last; the table is then put in store_items' order."""
    pieces, seen, counted = [], set(), 0
    checker = BlobChecker(store, verified=verified)
    for batch in store.state_batches(ids) if ids else []:
        held = set(batch["account_id"].astype(str))
        seen |= held
        keys = item_keys(store, batch, _item_errors_of(store, held), counted)
        counted += len(batch)
        pieces.append(_diagnose_frame(store, keys, batch, held, checker, keep=keep))
        del batch, keys
    rest = {a for a in ids if a not in seen}
    rest_keys = item_keys(store, None, _item_errors_of(store, rest))
    pieces.append(_diagnose_frame(store, rest_keys, None, rest, checker, keep=keep))
    checker.done()
    table = pd.concat(pieces, ignore_index=True)
    del pieces
    return in_store_order(table)


def _item_errors_of(store: BackupStore, accounts: set[str]) -> pd.DataFrame:
    errors = item_errors(store.errors)
    return errors[errors["account_id"].isin(accounts)]


def newest_blobs(wanted: pd.DataFrame, by_item: dict[tuple[str, int], list[State]]) -> list[tuple[str, bool]]:
    """The blobs the diagnosis reads first, `(digest, validate)`: the newest state of each wanted item
    with a blob, validated by the LMTP checks when it is a message's (the others are read and verified)."""
    blobs = []
    for account_id, item_id in zip(wanted["account_id"], wanted["item_id"], strict=True):
        states = by_item.get((str(account_id), int(item_id)))
        if states and states[-1].digest is not None:
            blobs.append((states[-1].digest, states[-1].type in MESSAGE_TYPES))
    return blobs


def _finish(df: pd.DataFrame) -> pd.DataFrame:
    """Column types: causes as a categorical of the five causes, nullable ints, plain strings."""
    df["cause"] = pd.Categorical(df["cause"], categories=list(CAUSES))
    df["item_id"] = df["item_id"].astype("int64")
    df["states"] = df["states"].astype("int64")
    df["last_valid_state"] = df["last_valid_state"].astype("Int64")
    df["recoverable_eml"] = df["recoverable_eml"].astype(bool)
    for column in ("account", "account_id", "detail", "type", "folder_path", "digest", "blob_path"):
        df[column] = df[column].astype("object").where(df[column].notna(), None)
    return df.reset_index(drop=True)


def cause_counts(diagnosis: pd.DataFrame) -> pd.DataFrame:
    """Items per account and cause: one row per account, one column per cause (all five, zeros kept)."""
    return counts_table(cause_pairs(diagnosis))


def cause_pairs(diagnosis: pd.DataFrame) -> pd.Series:
    """Items per (account, cause) pair: what cause_counts lays out, summable across parts of a diagnosis."""
    causes = diagnosis["cause"].astype(str)
    return diagnosis.groupby([diagnosis["account"], causes]).size().rename_axis(["account", "cause"])


def counts_table(pairs: pd.Series) -> pd.DataFrame:
    """cause_counts' table from the counts of cause_pairs."""
    if pairs.empty:
        return pd.DataFrame(columns=list(CAUSES), dtype="int64")
    table = pairs.unstack("cause", fill_value=0)
    return table.reindex(columns=pd.Index(list(CAUSES), name="cause"), fill_value=0).astype("int64")


@dataclass(frozen=True)
class Preflight:
    """The pre-flight check of a store, kept small: every item counted, by account and cause (`counts`,
    cause_counts' table), and the rows of the items a restore would leave behind (`failures`, diagnose's
    columns and order). A 5,000-mailbox store has some 10^7 restorable items: their rows are not kept."""

    counts: pd.DataFrame
    failures: pd.DataFrame

    @property
    def items(self) -> int:
        """Every item checked, restorable ones included."""
        return int(self.counts.to_numpy().sum())


class _FailureTally:
    """Counts each piece of a diagnosis by account and cause, and keeps only its failing rows."""

    def __init__(self) -> None:
        self.pairs = pd.Series(dtype="int64")

    def __call__(self, piece: pd.DataFrame) -> pd.DataFrame:
        self.pairs = self.pairs.add(cause_pairs(piece), fill_value=0) if len(self.pairs) else cause_pairs(piece)
        return would_fail(piece)


def preflight(store: BackupStore, accounts=None, verified: VerifiedBlobs | None = None) -> Preflight:
    """What a restore of the store (or of `accounts`) would leave behind, and why: diagnose without a
    report, whose memory grows with the failing items and the accounts, not with the store's items.
    `verified` as diagnose's (a report's audit then reads again only the blobs the pre-flight did not)."""
    ids = list(store.accounts()["account_id"]) if accounts is None else _resolve_all(store, accounts)
    tally = _FailureTally()
    failures = _diagnose_accounts(store, ids, keep=tally, verified=verified)
    return Preflight(counts_table(tally.pairs.astype("int64")), failures)


def would_fail(diagnosis: pd.DataFrame) -> pd.DataFrame:
    """The rows a restore would leave behind: every cause but `restorable`."""
    return diagnosis[diagnosis["cause"] != "restorable"]


def item_history(store: BackupStore, account: str, item_id: int) -> pd.DataFrame:
    """The getItem `date all` view of one item, each state with whether its blob verifies (`blob`)."""
    states = store.get_item(account, int(item_id), "all")
    checker = BlobChecker(store)
    status = []
    for digest in states["digest"]:
        if not isinstance(digest, str):
            status.append("no blob")
            continue
        error = checker.check(digest).error
        status.append("verifies" if error is None else f"{error.kind}: {error.detail}")
    columns = ["transaction_id", "start_date", "end_date", "type", "folder_path", "deleted", "digest", "blob_path"]
    return states[columns].assign(blob=status)


def report_summary(report: Notification, diagnosis: pd.DataFrame | None = None) -> pd.DataFrame:
    """`metric, value`: the operation header, the stats line, the consistency check, the causes."""
    rows = list(report.operation.items())
    rows += [(f"{key} items", "" if value is None else value) for key, value in report.stats.items()]
    rows += [("listed unrestored", len(report.unrestored)), ("listed skipped", len(report.skipped))]
    rows += [("check", text) for text in report.check() or [ADDS_UP]]
    if diagnosis is not None:
        counts = diagnosis["cause"].value_counts()
        rows += [(f"cause {cause}", int(counts.get(cause, 0))) for cause in CAUSES]
    return pd.DataFrame(rows, columns=["metric", "value"]).astype({"value": "str"})
