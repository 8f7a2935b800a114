"""Item files -> an account's states table: the columnar parse of canonically spelled states, the
tolerant one for the rest, and a row for every problem, foreseen or not (the scan never stops on a file).

Pure: bytes in (already read by the scan), Arrow columns and error records out.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

from ..errors import ErrorRecord, EvidenceError
from ..format import layout
from ..parse import ParseError
from ..parse.item_columns import canonical_table, is_canonical
from ..parse.items import STATE_SCHEMA, normalize_states, parse_item_file

SCHEMA_NO_ACCOUNT = pa.schema([f for f in STATE_SCHEMA if f.name != "account_id"])


def parse_item_files(
    account_id: str, files: Iterable[tuple[str, int, str, bytes | EvidenceError]], errors: list[dict]
) -> tuple[pa.Table, dict[int, str]]:
    """(path, item id, NN folder, bytes or read error) of item files -> the account's states table.

    Canonically spelled items are gathered for the columnar parse (orjson, then Arrow columns;
    Arrow's own JSON reader measured 5x slower on these small nested documents); the others
    go one by one through the tolerant path. Every problem is an error record."""
    parser = _ItemParser(account_id, errors)
    for rel, item_id, nn, data in files:
        if nn != layout.nn_folder(item_id):
            parser.real_paths[item_id] = rel
            where = f"item {item_id} belongs in items/{layout.nn_folder(item_id)}/, found in items/{nn}/"
            parser.error(rel, "misplaced", where, item_id)
        if isinstance(data, EvidenceError):
            parser.error(rel, data.kind, data.detail, item_id)
        else:
            parser.one_file(rel, item_id, data)
    return parser.table(), parser.real_paths


class _ItemParser:
    """Collects one account's states, columnar or tolerant; see `parse_item_files`."""

    def __init__(self, account_id: str, errors: list[dict]) -> None:
        self.account_id = account_id
        self.errors = errors
        self.tables: list[pa.Table] = []
        self.fast: list[dict] = []
        self.fast_ids: list[int] = []
        self.slow: list[dict] = []
        self.real_paths: dict[int, str] = {}

    def error(self, rel: str, kind: str, detail: str, item_id: int | None) -> None:
        self.errors.append(ErrorRecord(rel, kind, detail, self.account_id, item_id).as_dict())

    def notes(self, problems: list[tuple[int, str]]) -> None:
        for item_id, note in problems:
            rel = self.real_paths.get(item_id, layout.item_relpath(self.account_id, item_id))
            self.error(rel, "invalid_metadata", note, item_id)

    def one_file(self, rel: str, item_id: int, data: bytes) -> None:
        """One item file's states, to the columnar or the tolerant path; a file that breaks the parser
        in a way nobody foresaw is an errors row too, and the scan goes on."""
        try:
            self._one_file(rel, item_id, data)
        except UNEXPECTED as exc:
            self.error(rel, *unexpected_row(exc), item_id)

    def _one_file(self, rel: str, item_id: int, data: bytes) -> None:
        try:
            states, notes = parse_item_file(data)
        except ParseError as exc:
            self.error(rel, exc.kind, exc.detail, item_id)
            return
        for note in notes:
            self.error(rel, "too_large", note, item_id)
        if states and is_canonical(states):
            self.fast.extend(states)
            self.fast_ids.extend([item_id] * len(states))
            return
        normalized, problems = normalize_states(states, item_id)
        self.slow.extend(normalized)
        for problem in problems:
            self.error(rel, "invalid_metadata", problem, item_id)

    def table(self) -> pa.Table:
        tables = list(self.tables)
        if self.fast:
            tables.append(self._fast_table())
        if self.slow:
            tables.append(self._slow_table())
        table = pa.concat_tables(tables) if tables else SCHEMA_NO_ACCOUNT.empty_table()
        column = pa.array([self.account_id] * table.num_rows, pa.string())
        return table.add_column(0, "account_id", column)

    def _fast_table(self) -> pa.Table:
        """orjson-parsed canonical states; a value of an unexpected type sends them to the tolerant path."""
        try:
            table, problems = canonical_table(self.fast, self.fast_ids)
        except (pa.ArrowException, ValueError, TypeError, OverflowError):
            by_item: dict[int, list] = {}
            for item_id, state in zip(self.fast_ids, self.fast, strict=True):
                by_item.setdefault(item_id, []).append(state)
            for item_id, states in by_item.items():
                normalized, notes = normalize_states(states, item_id)
                self.slow.extend(normalized)
                self.notes([(item_id, note) for note in notes])
            return SCHEMA_NO_ACCOUNT.empty_table()
        self.notes(problems)
        return table

    def _slow_table(self) -> pa.Table:
        """Tolerant states as columns; `normalize_state` gives every field its column's type, and
        should a state still not convert, its item is left out with a row rather than the account."""
        try:
            return pa.Table.from_pylist(self.slow, schema=SCHEMA_NO_ACCOUNT)
        except (pa.ArrowException, ValueError, TypeError, OverflowError):
            pass
        by_item: dict[int, list[dict]] = {}
        for state in self.slow:
            by_item.setdefault(state["item_id"], []).append(state)
        tables = []
        for item_id, states in by_item.items():
            try:
                tables.append(pa.Table.from_pylist(states, schema=SCHEMA_NO_ACCOUNT))
            except (pa.ArrowException, ValueError, TypeError, OverflowError) as exc:
                rel = self.real_paths.get(item_id, layout.item_relpath(self.account_id, item_id))
                self.error(rel, "invalid_metadata", f"states that do not convert: {exc}"[:300], item_id)
        return pa.concat_tables(tables) if tables else SCHEMA_NO_ACCOUNT.empty_table()


# What a parser may raise on input nobody foresaw: a row for the file, never the end of the scan.
UNEXPECTED = (ValueError, TypeError, OverflowError, RecursionError, UnicodeError, MemoryError, LookupError,
              pa.ArrowException)


def unexpected_row(exc: BaseException) -> tuple[str, str]:
    """(kind, detail) of an unexpected exception: `too_large` for memory, else `invalid_metadata`."""
    kind = "too_large" if isinstance(exc, MemoryError) else "invalid_metadata"
    return kind, f"unexpected {type(exc).__name__} while parsing: {exc}"[:300]
