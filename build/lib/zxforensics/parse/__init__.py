"""Pure parsers: bytes or text in, plain records out. No parser opens a file."""

from __future__ import annotations


class ParseError(ValueError):
    """Input that does not parse; `kind` is an error kind of FORMAT.md §9."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
