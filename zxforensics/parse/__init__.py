"""Pure parsers: bytes or text in, plain records out. No parser opens a file.

Parsers import only `errors` and `format`; a failure is a `ParseError` with its FORMAT.md §9 kind.
"""

from __future__ import annotations

from ..errors import ParseError

__all__ = ["ParseError"]
