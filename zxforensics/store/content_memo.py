"""What the kit learned from blobs' content, kept in the index folder between runs.

A blob file is named by the digest of its content, so a value computed from the content alone (the LMTP
findings of a message) is a function of the digest: it holds wherever and whenever a file verifies against
that digest, under one version of the code that computed it (`token`). The caller still reads and verifies
each blob; what a memo saves is the work done on the content after that (the LMTP checks are 85% of a
pre-flight diagnosis). Nothing is trusted from a file's stat.

Layout: `memo/<kind>-<token>-<uuid>.parquet`, each file written under a temporary name and renamed, with
`key` (16 bytes: BLAKE2b of the digest) and `value` (a string, "" for the common answer). A process reads the
segments of its kind and token once, looks keys up by binary search, and writes what it learned as a new
segment; past SEGMENTS_BEFORE_MERGE segments one writer merges them (and removes other tokens' segments).
A segment that does not read (removed meanwhile by a merge, damaged) is skipped: a miss, never a wrong value.
Memory: 16 bytes a key, MAX_ENTRIES keys at most (64 MiB); what does not fit is computed again.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import uuid
import warnings
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, suppress

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..errors import OutputError
from ..output.writer import OutputDir
from .index import IndexWarning

MEMO_DIR = "memo"
MAX_ENTRIES = 4_000_000  # keys held in memory: 64 MiB (a store of about 8 million states)
FLUSH_AT = 200_000  # learned entries written as one segment
SEGMENTS_BEFORE_MERGE = 8
SCHEMA = pa.schema([("key", pa.binary(16)), ("value", pa.string())])
KEY = np.dtype("S16")  # memo_key's 16 bytes, as numpy holds them (no Python object a key)


def _key_array(column: pa.ChunkedArray) -> np.ndarray:
    """A column of 16-byte keys as numpy, from Arrow's buffer (no Python object a key)."""
    keys = column.combine_chunks()
    return np.frombuffer(keys.buffers()[1], dtype=KEY, count=keys.offset + len(keys))[keys.offset :]


def _sorted_unique(keys: np.ndarray) -> np.ndarray:
    """np.unique by a sort alone (np.unique hashes first: four times the sort's time on 10^5 keys)."""
    keys = np.sort(keys)
    return keys[np.concatenate(([True], keys[1:] != keys[:-1]))] if len(keys) else keys


def memo_key(digest: str) -> bytes:
    """16 bytes naming a digest (any algorithm or spelling the store holds): 2^-64 odds of a collision
    among 10^9 digests."""
    return hashlib.blake2b(digest.encode("utf-8", "surrogateescape"), digest_size=16).digest()


def find_keys(ordered: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each of `keys`, its position in the sorted array `ordered` and whether it is there (a binary
    search each): the lookup of the memo and of a run's verified blobs."""
    if not len(ordered):
        return np.zeros(len(keys), dtype=np.intp), np.zeros(len(keys), dtype=bool)
    position = np.minimum(np.searchsorted(ordered, keys), len(ordered) - 1)
    return position, ordered[position] == keys


class ContentMemo:
    """One kind of value (`kind`, computed by code of version `token`) by blob digest, in `out`'s memo/."""

    def __init__(self, out: OutputDir, locked: Callable[[], AbstractContextManager], kind: str, token: str) -> None:
        if not kind.isalnum() or not token.isalnum():
            raise ValueError(f"a memo's kind and token are letters and digits, not {kind!r}, {token!r}")
        self.out = out
        self.locked = locked  # the index's writers' lock: a merge removes segments
        self.kind = kind
        self.prefix = f"{kind}-{token}-"
        self._keys: np.ndarray | None = None  # sorted, unique
        self._values: dict[bytes, str] = {}  # the keys whose value is not "" (rare: messages with findings)
        self._learned: dict[bytes, str] = {}

    # -- reading --------------------------------------------------------------------------------
    def lookup(self, digests: Iterable[str]) -> dict[str, str]:
        """digest -> value, for the digests the memo holds (written by any earlier run, or learned here)."""
        self._load()
        digests = list(digests)
        if not digests:
            return {}
        raw = [memo_key(d) for d in digests]
        found = {digests[i]: self._values.get(raw[i], "") for i in np.flatnonzero(self._holds(np.array(raw, KEY)))}
        if self._learned:
            found.update({d: self._learned[k] for d, k in zip(digests, raw, strict=True) if k in self._learned})
        return found

    def _load(self) -> None:
        if self._keys is not None:
            return
        keys, values = [], {}
        held = 0
        for name in self._segments():
            table = self._read(name)
            if table is None or held + table.num_rows > MAX_ENTRIES:
                continue
            held += table.num_rows
            keys.append(_key_array(table.column("key")))
            valued = table.filter(pc.not_equal(table.column("value"), ""))
            values.update(zip(valued.column("key").to_pylist(), valued.column("value").to_pylist(), strict=True))
        self._keys = _sorted_unique(np.concatenate(keys)) if keys else np.array([], dtype=KEY)
        self._values = values

    def _segments(self) -> list[str]:
        return [name for name in self._names() if name.startswith(self.prefix)]

    def _names(self) -> list[str]:
        return [os.path.basename(p) for p in self.out.files(MEMO_DIR) if p.endswith(".parquet")]

    def _read(self, name: str) -> pa.Table | None:
        """A segment, or None when it is gone (merged meanwhile) or is not one (damaged, another schema)."""
        try:
            with self.out.open_read(MEMO_DIR, name) as handle:
                table = pq.read_table(handle)
        except (OSError, OutputError, pa.ArrowException):
            return None
        return table if table.schema.equals(SCHEMA) else None

    # -- learning -------------------------------------------------------------------------------
    def learn(self, digest: str, value: str) -> None:
        """Keep a value computed from the content of a blob that verified against `digest`."""
        self._learned[memo_key(digest)] = value
        if len(self._learned) >= FLUSH_AT:
            self.flush()

    def flush(self) -> None:
        """Write what was learned since the last flush as one segment (then merge, past the limit)."""
        if not self._learned:
            return
        self._load()
        learned, self._learned = self._learned, {}
        room = max(0, MAX_ENTRIES - len(self._keys))  # past it, what is learned is computed again next time
        unknown = ~self._holds(np.array(list(learned), dtype=KEY))
        fresh = dict(itertools.islice(itertools.compress(learned.items(), unknown), room))
        try:
            if fresh:
                self._write(fresh)
                self._keys = _sorted_unique(np.concatenate([self._keys, np.array(list(fresh), dtype=KEY)]))
                self._values.update({k: v for k, v in fresh.items() if v})
            if len(self._segments()) > SEGMENTS_BEFORE_MERGE:
                self._merge()
        except (OSError, OutputError) as exc:  # the index folder went bad: what was learned is computed again
            warnings.warn(f"zxforensics: what this run learned cannot be kept in {self.out.root}: {exc}",
                          IndexWarning, stacklevel=2)  # fmt: skip

    def _holds(self, keys: np.ndarray) -> np.ndarray:
        """Which of `keys` the loaded segments hold."""
        return find_keys(self._keys, keys)[1]

    def _write(self, entries: dict[bytes, str]) -> str:
        keys = sorted(entries)
        table = pa.table({"key": pa.array(keys, pa.binary(16)), "value": pa.array([entries[k] for k in keys])})
        name = f"{self.prefix}{uuid.uuid4().hex}.parquet"
        with self.out.open_atomic(MEMO_DIR, name) as handle:
            pq.write_table(table, handle)
        return name

    def _merge(self) -> None:
        """The segments of this kind and token as one; other tokens' segments (older code) removed."""
        with self.locked():
            names = self._segments()
            if len(names) <= SEGMENTS_BEFORE_MERGE:
                return  # another process merged meanwhile
            entries: dict[bytes, str] = {}
            for name in names:
                table = self._read(name)
                if table is not None and len(entries) + table.num_rows <= MAX_ENTRIES:
                    entries.update(zip(table.column("key").to_pylist(), table.column("value").to_pylist(),
                                       strict=True))  # fmt: skip
            stale = [n for n in self._names() if n.startswith(f"{self.kind}-") and not n.startswith(self.prefix)]
            self._write(entries)
            for name in [*names, *stale]:
                with suppress(OSError, OutputError):
                    self.out.remove(MEMO_DIR, name)
