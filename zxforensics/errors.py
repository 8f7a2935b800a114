"""Every exception of the kit, and the error record: what cannot be read becomes a row (FORMAT.md §10).

Two families, so that a face can tell bad input from a bug:
- `ZxError` and its subclasses: the user's input, the evidence or the environment is at fault.
  The CLI prints the message as one line and exits 2.
- anything else is a bug of the kit.
"""

from __future__ import annotations

from dataclasses import dataclass

ERROR_COLUMNS = ("path", "account_id", "item_id", "kind", "detail")


class ZxError(Exception):
    """Base of the kit's errors; the CLI prints their message as one line."""


class InvalidArgument(ZxError, ValueError):
    """A value given by the caller that the kit cannot take (a kind, a filter, a day count)."""


class BadDate(InvalidArgument):
    """A date the kit refuses to interpret, with the form it expected (day first, never guessed)."""


class DataError(ZxError):
    """Content the kit cannot read; `kind` is an error kind of FORMAT.md §9, so it becomes an errors row."""

    def __init__(self, kind: str, detail: str, path: str = "") -> None:
        super().__init__(f"{kind}: {detail}" + (f" ({path})" if path else ""))
        self.kind = kind
        self.detail = detail
        self.path = path


class EvidenceError(DataError):
    """A file of the backup path (or a file the user names) that cannot be read."""


class ParseError(DataError):
    """Bytes or text that do not parse into the records a parser promises."""


class NotAReport(ParseError):
    """A text, file or e-mail that holds no restore notification report."""

    def __init__(self, detail: str) -> None:
        super().__init__("invalid_metadata", detail)

    def __str__(self) -> str:
        return self.detail


class NotABackupPath(ZxError):
    """The path given holds no backup path, nor a vendor default root."""


class NotFound(ZxError):
    """An account, item or blob that the backup does not hold."""


class OutputError(ZxError):
    """An output the kit refuses to write: inside the evidence, through a link, or over an existing file."""


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

    @classmethod
    def of(cls, exc: DataError, path: str | None = None, account_id: str | None = None, item_id=None) -> dict:
        """The errors row of a caught `DataError` (its own path unless `path` is given)."""
        return cls(path or exc.path, exc.kind, exc.detail, account_id, item_id).as_dict()
