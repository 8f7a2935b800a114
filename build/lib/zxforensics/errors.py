"""Errors as data: what cannot be read becomes a row, and the scan goes on (FORMAT.md §10)."""

from __future__ import annotations

from dataclasses import dataclass

ERROR_COLUMNS = ("path", "account_id", "item_id", "kind", "detail")


class ZxError(Exception):
    """Base of the kit's errors; the CLI prints their message as one line."""


class EvidenceError(ZxError):
    """A file of the backup path that cannot be read; `kind` is one of FORMAT.md §9."""

    def __init__(self, kind: str, detail: str, path: str = "") -> None:
        super().__init__(f"{kind}: {detail}" + (f" ({path})" if path else ""))
        self.kind = kind
        self.detail = detail
        self.path = path


class NotABackupPath(ZxError):
    """The path given holds no backup path, nor a vendor default root."""


class NotFound(ZxError):
    """An account, item or blob that the backup does not hold."""


@dataclass(frozen=True, slots=True)
class ErrorRecord:
    """One row of an errors table."""

    path: str
    kind: str
    detail: str
    account_id: str | None = None
    item_id: int | None = None

    def as_dict(self) -> dict:
        return {
            "path": self.path,
            "account_id": self.account_id,
            "item_id": self.item_id,
            "kind": self.kind,
            "detail": self.detail,
        }
