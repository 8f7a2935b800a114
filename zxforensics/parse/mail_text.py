"""The searchable text of a mail: decoded headers, text parts and attachment names. Pure: bytes in, text out.

Parsed with the `email` package under its `compat32` policy, then decoded with the package's own
helpers (RFC 2047 headers, RFC 2231 file names, base64 / quoted-printable bodies) and each part's
charset. `policy.default` parses every Content-Type again on each access: 5 to 10 times slower on
the sample's mails, and its header objects raise on some hostile headers.

Every cost is bounded: a mail declaring more multipart or message parts than `max_containers` is
read for its headers only (the parser's cost grows with depth x lines), parts deeper than
`max_depth` or past `max_parts` are skipped, and decoded text stops at `max_text` characters.
What cannot be read as declared (broken structure, an unknown charset) is a `ParseError` in
`problems`, and the rest of the mail is still read.
"""

from __future__ import annotations

import html
import itertools
import re
from dataclasses import dataclass, field
from email import errors as email_errors
from email import policy
from email.header import decode_header
from email.message import Message
from email.parser import BytesParser

from ..errors import ParseError

SEARCH_FIELDS = ("subject", "from", "to", "body", "attachment_names")
MAX_CONTAINERS = 64
MAX_DEPTH = 16
MAX_PARTS = 1000
MAX_TEXT = 8 << 20  # decoded characters kept per mail, all text parts together

# A part that holds others: each one costs the parser a boundary check per line below it.
CONTAINER_RE = re.compile(rb"^content-type:[ \t]*(?:\r?\n[ \t]+)?(?:multipart|message)/", re.I | re.M)
# HTML: a block tag separates words, an inline one does not (`<b>47</b>11` is 4711).
_BLOCK_TAG = re.compile(r"<(?:/?(?:p|div|br|li|tr|td|th|h[1-6]|table|ul|ol|blockquote|hr|title)\b)[^<>]*>", re.I)
_TAG = re.compile(r"<[^<>]*>")
_STRUCTURE_DEFECTS = (
    email_errors.NoBoundaryInMultipartDefect,
    email_errors.StartBoundaryNotFoundDefect,
    email_errors.CloseBoundaryNotFoundDefect,
    email_errors.MultipartInvariantViolationDefect,
)
# Exceptions the email package raises on hostile input (its header and payload helpers are not total).
_EMAIL_FAILURES = (ValueError, LookupError, TypeError, AttributeError, IndexError, email_errors.MessageError)


@dataclass
class MailText:
    """Each searched field as one whitespace-normalized string, and what could not be read."""

    fields: dict[str, str] = field(default_factory=dict)
    problems: list[ParseError] = field(default_factory=list)

    def problem(self, kind: str, detail: str) -> None:
        if all(p.detail != detail for p in self.problems):
            self.problems.append(ParseError(kind, detail))


def mail_text(
    raw: bytes,
    fields: tuple[str, ...] = SEARCH_FIELDS,
    *,
    max_containers: int = MAX_CONTAINERS,
    max_depth: int = MAX_DEPTH,
    max_parts: int = MAX_PARTS,
    max_text: int = MAX_TEXT,
) -> MailText:
    """The text of `fields` (of SEARCH_FIELDS) in a raw RFC 822 mail; never raises on hostile bytes."""
    out = MailText()
    wants_parts = bool({"body", "attachment_names"} & set(fields))
    containers = sum(1 for _ in itertools.islice(CONTAINER_RE.finditer(raw), max_containers + 1))
    if wants_parts and containers > max_containers:
        out.problem("invalid_mime", f"more than {max_containers} multipart or message parts: headers read only")
        wants_parts = False
    try:
        msg = BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=not wants_parts)
    except _EMAIL_FAILURES as exc:
        out.problem("invalid_mime", f"the email package cannot parse it: {type(exc).__name__}: {exc}")
        return out
    headers = {"subject": ("subject",), "from": ("from",), "to": ("to", "cc", "bcc")}
    raw_headers: dict[str, list[str]] = {}
    for name, value in msg.raw_items():  # raw values: `get` hides 8-bit bytes behind a Header object
        raw_headers.setdefault(name.lower(), []).append(value)
    for name in fields:
        if name in headers:
            values = [header_text(v, out) for h in headers[name] for v in raw_headers.get(h, [])]
            out.fields[name] = normalize("; ".join(values))
    if wants_parts:
        walker = _Walker(out, max_depth, max_parts, max_text)
        walker.walk(msg, 0)
        if "body" in fields:
            out.fields["body"] = normalize("\n".join(walker.texts))
        if "attachment_names" in fields:
            out.fields["attachment_names"] = normalize("\n".join(walker.names))
    return out


def normalize(text: str) -> str:
    """Runs of whitespace as one space: a pattern matches across line wraps and HTML layout."""
    return " ".join(text.split())


def decode_bytes(data: bytes, charset: str | None, out: MailText) -> str:
    """`data` in its declared charset; an unknown one is a problem, and UTF-8 (with replacement) is used."""
    name = (charset or "utf-8").strip().strip('"').lower() or "utf-8"
    try:
        return data.decode(name, errors="replace")
    except LookupError:  # unknown, or a codec that is not a text encoding (zlib, base64)
        out.problem("invalid_mime", f"unknown charset {name[:60]!r}: read as UTF-8")
        return data.decode("utf-8", errors="replace")


def header_text(value: object, out: MailText) -> str:
    """A header value with its RFC 2047 encoded words decoded; raw 8-bit bytes are read as UTF-8."""
    text = str(value)
    text = text.encode("ascii", "surrogateescape").decode("utf-8", "replace") if _has_surrogates(text) else text
    try:
        words = decode_header(text)
    except _EMAIL_FAILURES:
        return text
    parts = []
    for word, charset in words:
        if isinstance(word, str):
            parts.append(word)
        elif charset is None:  # unencoded text between encoded words, as decode_header hands it back
            try:
                parts.append(word.decode("raw-unicode-escape"))
            except UnicodeDecodeError:
                parts.append(word.decode("latin-1"))
        else:
            parts.append(decode_bytes(word, charset, out))
    return "".join(parts)


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class _Walker:
    """Walks the parts of a message within the bounds, collecting text and attachment names."""

    def __init__(self, out: MailText, max_depth: int, max_parts: int, max_text: int) -> None:
        self.out, self.max_depth, self.max_parts, self.max_text = out, max_depth, max_parts, max_text
        self.texts: list[str] = []
        self.names: list[str] = []
        self.parts = self.size = 0

    def walk(self, part: Message, depth: int) -> None:
        self.parts += 1
        if self.parts > self.max_parts:
            self.out.problem("invalid_mime", f"more than {self.max_parts} MIME parts: the rest is not read")
            return
        for defect in part.defects:
            if isinstance(defect, _STRUCTURE_DEFECTS):
                self.out.problem("invalid_mime", f"broken MIME structure: {type(defect).__name__}")
        self.name(part)
        if part.is_multipart():
            if depth >= self.max_depth:
                self.out.problem("invalid_mime", f"MIME parts nested deeper than {self.max_depth} levels: not read")
                return
            for child in part.get_payload():
                if isinstance(child, Message):
                    self.walk(child, depth + 1)
        elif part.get_content_maintype() == "text" or part.get_content_maintype() == "multipart":
            self.text(part)  # a multipart whose parts cannot be told apart is searched as its text

    def name(self, part: Message) -> None:
        disposition, ctype = str(part.get("content-disposition", "")), str(part.get("content-type", ""))
        try:  # parameters are parsed only where a name may be (most parts have none)
            name = part.get_filename() if "name" in disposition.lower() else None
            name = name or (part.get_param("name") if "name" in ctype.lower() else None)
        except _EMAIL_FAILURES:
            return
        if isinstance(name, tuple):  # an RFC 2231 value get_param leaves undecoded
            name = name[2]
        if name:
            self.names.append(header_text(name, self.out))

    def text(self, part: Message) -> None:
        if self.size >= self.max_text:
            self.out.problem("too_large", f"more than {self.max_text} characters of text: the rest is not read")
            return
        try:
            data = part.get_payload(decode=True)
            charset = part.get_content_charset()
        except _EMAIL_FAILURES as exc:
            self.out.problem("invalid_mime", f"a text part cannot be decoded: {type(exc).__name__}: {exc}")
            return
        if not isinstance(data, bytes):
            return
        text = decode_bytes(data, charset, self.out)
        if part.get_content_subtype() == "html":
            text = html.unescape(_TAG.sub("", _BLOCK_TAG.sub(" ", text)))
        text = text[: self.max_text - self.size]
        self.size += len(text)
        self.texts.append(text)

