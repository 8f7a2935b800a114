"""Files a user names, outside the store: the restore notification, an import map, a map of ids, a saved
getAllOperations output. The one place that reads them.

They are read here, with the evidence's rules (`evidence.read_file`), and handed to the pure
parsers of `parse/`; text and bytes given directly go to the parsers as they are.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from ..errors import NotAReport
from ..evidence.files import read_file
from ..parse.maps import parse_id_mapper, parse_map
from ..parse.notification import SECTION_RE, Notification, parse_notification
from ..parse.operations import read_operations as parse_operations

MAX_MAP_FILE = 64 * 1024 * 1024


def read_notification(source: str | bytes | os.PathLike) -> Notification:
    """A restore report from a path (.txt or .eml), the e-mail bytes, or text; NotAReport if none."""
    if isinstance(source, bytes | bytearray):
        return parse_notification(bytes(source))
    if isinstance(source, os.PathLike) or _names_a_file(source):
        path = Path(source).expanduser()
        if path.is_file() or isinstance(source, os.PathLike):
            return parse_notification(read_file(path), str(path))
        if path.suffix.lower() in (".eml", ".txt", ".msg") and not SECTION_RE.match(source.strip()):
            raise NotAReport(f"{source}: no such file (expected a notification .txt or .eml)")
    return parse_notification(source)


def _names_a_file(text: str) -> bool:
    """A one-line string may be a path; a report's text never is."""
    return "\n" not in text and len(text) < 4096


def read_notifications(sources) -> pd.DataFrame:
    """Several reports (one per restore run) as one frame: `report, kind, account, item_id`."""
    frames = []
    for number, source in enumerate(sources, start=1):
        report = source if isinstance(source, Notification) else read_notification(source)
        frame = report.to_frame()
        frame.insert(0, "report", report.name or f"report {number}")
        frames.append(frame)
    if not frames:
        return pd.DataFrame({"report": [], "kind": [], "account": [], "item_id": pd.Series([], dtype="int64")})
    return pd.concat(frames, ignore_index=True)


def read_map(source: str | os.PathLike | bytes) -> pd.DataFrame:
    """The account mapping of an import (`map_*` file or its bytes): `source, destination` (getMap offline)."""
    return parse_map(_bytes(source))


def read_id_mapper(source: str | os.PathLike | bytes) -> pd.DataFrame:
    """An account's `id_mapper.log` (path or bytes): `source_id, restored_id`."""
    return parse_id_mapper(_bytes(source))


def read_operations(source: str | os.PathLike | bytes, tz: str | None = None) -> pd.DataFrame:
    """A saved getAllOperations output (a path, its bytes or its text) as a table, dates in UTC
    (the text's dates are in the server's zone `tz`)."""
    if isinstance(source, str) and not (_names_a_file(source) and Path(source).expanduser().is_file()):
        return parse_operations(source, tz=tz)
    return parse_operations(_bytes(source), tz=tz)


def _bytes(source: str | os.PathLike | bytes) -> bytes:
    return bytes(source) if isinstance(source, bytes | bytearray | memoryview) else read_file(source, MAX_MAP_FILE)
