"""What an LMTP validator refuses: the checks a mail server applies before injecting a message.

The seed's "Invalid item" is intact in the backup but refused by Zimbra's LMTP validator on
injection (`zimbra_lmtp_validate_messages`). These checks follow RFC 5322 / RFC 2046 as mail
servers enforce them; each finding names its check. The standard `email` package (modern
policy) parses headers, guarded: a header that makes it raise is itself a finding.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import sys
from dataclasses import dataclass
from email import errors as email_errors
from email import policy
from email.headerregistry import HeaderRegistry
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from functools import cache
from pathlib import Path

from ..parse import mail_text
from ..parse.mail_text import CONTAINER_RE as MAIL_CONTAINER_RE
from ..parse.mail_text import MAX_CONTAINERS as MAIL_MAX_CONTAINERS
from ..version import __version__

MAX_LINE_OCTETS = 998  # RFC 5322 §2.1.1, without the CRLF
MAX_BOUNDARY = 70  # RFC 2046 §5.1.1
BOUNDARY_RE = re.compile(r"^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$")  # RFC 2046 bchars
NUL = b"\x00"
FIELD_NAME_RE = re.compile(rb"^[\x21-\x39\x3b-\x7e]+:")
BOUNDARY_DEFECTS = {
    email_errors.NoBoundaryInMultipartDefect: "a multipart without a boundary parameter",
    email_errors.StartBoundaryNotFoundDefect: "the declared boundary never starts a part",
    email_errors.CloseBoundaryNotFoundDefect: "no closing --boundary-- line",
    email_errors.MultipartInvariantViolationDefect: "a multipart that holds no parts",
}
# Headers the modern policy parses into structure (addresses, ids, MIME parameters): where it can raise.
STRUCTURED = frozenset(HeaderRegistry().registry) - {"subject", "from", "date"}
# The checks, in the order they are reported.
# More parts than this and the MIME tree is not walked (see validate_message); the same bound as the
# content search's (parse.mail_text), whose pattern finds a part that holds others.
MAX_CONTAINERS = MAIL_MAX_CONTAINERS
CONTAINER_RE = MAIL_CONTAINER_RE
CHECKS = (
    "no_separator", "missing_from", "unparseable_from", "missing_date", "unparseable_date",
    "long_header_line", "bare_cr", "mixed_line_ends", "nul_byte", "8bit_header", "mime_boundary",
    "header_parse_error",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason to refuse a message; `detail` starts with the check's name."""

    check: str
    detail: str

    def __str__(self) -> str:
        return self.detail


def _finding(check: str, text: str) -> Finding:
    return Finding(check, f"{check}: {text}")


def split_header(raw: bytes) -> tuple[list[bytes], bool]:
    """The header lines (line ends removed) and whether an empty line separates them from the body."""
    lines: list[bytes] = []
    for line in raw.splitlines(keepends=True):
        bare = line.rstrip(b"\r\n")
        if not bare:
            return lines, True
        if (bare[:1] in (b" ", b"\t") and lines) or FIELD_NAME_RE.match(bare):
            lines.append(bare)
        else:
            return lines, False  # a body line where a header belongs
    return lines, False


def header_fields(raw: bytes) -> list[tuple[str, str]]:
    """`(name, value)` of each header field, unfolded, read without the `email` package (which an
    invalid message can make raise): what a person sees of a message the validator refuses."""
    fields: list[list[str]] = []
    for line in split_header(raw)[0]:
        text = line.decode("utf-8", errors="replace")
        if text[:1] in (" ", "\t") and fields:
            fields[-1][1] += " " + text.strip()
        else:  # split_header keeps only continuations and `name:` lines
            name, value = text.split(":", 1)
            fields.append([name, value.strip()])
    return [(name, value) for name, value in fields]


def byte_checks(raw: bytes, header_lines: list[bytes], separated: bool) -> list[Finding]:
    """Checks on the bytes: separator, line lengths and ends, NUL, 8-bit headers."""
    found = []
    if not separated:
        found.append(_finding("no_separator", "no empty line between the header and the body"))
    for number, line in enumerate(header_lines, start=1):
        if len(line) > MAX_LINE_OCTETS:
            found.append(_finding("long_header_line", f"header line {number} is {len(line)} octets (limit 998)"))
            break
    bare_cr = len(re.findall(rb"\r(?!\n)", raw))
    if bare_cr:
        found.append(_finding("bare_cr", f"{bare_cr} CR not followed by LF"))
    crlf = raw.count(b"\r\n")
    lone_lf = raw.count(b"\n") - crlf
    if crlf and lone_lf:
        found.append(_finding("mixed_line_ends", f"{lone_lf} lone LF among {crlf} CRLF line ends"))
    nul = raw.find(NUL)
    if nul >= 0:
        found.append(_finding("nul_byte", f"{raw.count(NUL)} NUL bytes, first at offset {nul}"))
    header = b"\n".join(header_lines)
    eight_bit = re.search(rb"[\x80-\xff]", header)
    if eight_bit:
        name = header[: eight_bit.start()].rsplit(b"\n", 1)[-1].split(b":", 1)[0].decode("ascii", "replace")
        found.append(_finding("8bit_header", f"8-bit byte 0x{eight_bit.group()[0]:02x} in header {name}"))
    return found


def _raw_value(message, name: str) -> str:
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            return str(value)[:80]
    return ""


_RAISED = object()  # what _header returns when parsing the header raised


def _header(message, name: str, found: list[Finding]):
    """A parsed header (None when absent); an exception while parsing it becomes a finding."""
    try:
        return message[name]
    except Exception as exc:  # the email package has raised IndexError, AttributeError... on bad headers
        found.append(_finding("header_parse_error", f"{name} makes the parser raise {type(exc).__name__}: {exc}"))
        return _RAISED


def _required(message, name: str, found: list[Finding]):
    """A header that must be present and parse: its value, or None after adding the finding."""
    value = _header(message, name, found)
    check = name.lower()
    if value is _RAISED:
        found.append(_finding(f"unparseable_{check}", f"{name} {_raw_value(message, name)!r} cannot be parsed"))
        return None
    if value is None:
        found.append(_finding(f"missing_{check}", f"no {name} header"))
    return value


def address_checks(message, found: list[Finding]) -> None:
    """From: present and holding at least one complete address."""
    value = _required(message, "From", found)
    if value is None:
        return
    addresses = getattr(value, "addresses", ())
    bad = not addresses or any(not a.username or not a.domain for a in addresses)
    defects = [d for d in getattr(value, "defects", ()) if isinstance(d, email_errors.InvalidHeaderDefect)]
    if bad or defects:
        reason = defects[0] if defects else "no complete address"
        found.append(_finding("unparseable_from", f"From {str(value)[:80]!r}: {reason}"))


def date_checks(message, found: list[Finding]) -> None:
    """Date: present and an RFC 5322 date."""
    value = _required(message, "Date", found)
    if value is None:
        return
    try:
        ok = parsedate_to_datetime(str(value)) is not None
    except (TypeError, ValueError, IndexError, OverflowError):
        ok = False
    if not ok:
        found.append(_finding("unparseable_date", f"Date {str(value)[:80]!r} is not an RFC 5322 date"))


def other_header_checks(message, found: list[Finding]) -> None:
    """Every other structured header must parse without raising."""
    seen: set[str] = set()
    for name in message:
        if name.lower() in seen or name.lower() not in STRUCTURED:
            continue
        seen.add(name.lower())
        try:
            for value in message.get_all(name, []):
                str(value)
        except Exception as exc:  # see _header
            found.append(_finding("header_parse_error", f"{name} makes the parser raise {type(exc).__name__}: {exc}"))


def mime_checks(message, found: list[Finding]) -> None:
    """Multipart parts: a valid boundary, its delimiter lines present, the closing one too."""
    try:
        parts = list(message.walk())
    except Exception as exc:  # see _header
        found.append(_finding("header_parse_error", f"the MIME tree makes the parser raise {type(exc).__name__}"))
        return
    for index, part in enumerate(parts):
        try:
            if part.get_content_maintype() != "multipart":
                continue
            boundary = part.get_boundary()
        except Exception as exc:  # see _header
            found.append(_finding("header_parse_error", f"Content-Type of part {index} raises {type(exc).__name__}"))
            continue
        if boundary is not None and (len(boundary) > MAX_BOUNDARY or not BOUNDARY_RE.match(boundary)):
            found.append(_finding("mime_boundary", f"part {index}: boundary {boundary[:80]!r} breaks RFC 2046"))
        for defect in part.defects:
            text = BOUNDARY_DEFECTS.get(type(defect))
            if text:
                found.append(_finding("mime_boundary", f"part {index} ({boundary!r}): {text}"))


def validate_message(raw: bytes) -> list[Finding]:
    """Every reason an LMTP validator would refuse `raw` (an RFC 822 message); [] when it passes.

    A mail of more than MAX_CONTAINERS multipart or message parts has its headers checked only: the
    email package parses and walks nested parts recursively (a few thousand levels exhaust the stack)."""
    header_lines, separated = split_header(raw)
    found = byte_checks(raw, header_lines, separated)
    containers = sum(1 for _ in itertools.islice(CONTAINER_RE.finditer(raw), MAX_CONTAINERS + 1))
    nested = containers > MAX_CONTAINERS
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw, headersonly=nested)
    except Exception as exc:  # the parser itself should not raise, but never crash a diagnosis
        found.append(_finding("header_parse_error", f"the message makes the parser raise {type(exc).__name__}"))
        return found
    address_checks(message, found)
    date_checks(message, found)
    other_header_checks(message, found)
    if nested:
        found.append(_finding("mime_boundary", f"more than {MAX_CONTAINERS} multipart or message parts: "
                                               "the MIME tree was not walked"))  # fmt: skip
    else:
        mime_checks(message, found)
    order = {name: n for n, name in enumerate(CHECKS)}
    return sorted(found, key=lambda f: order.get(f.check, len(order)))


# -- findings kept between runs (store.content_memo) ------------------------------------------------------
@cache
def rules_token() -> str:
    """The version of these checks: the kit's, the source of this module and of the parser it shares, and
    the Python whose `email` package parses the headers. Findings kept by an earlier run hold only under
    the same token."""
    digest = hashlib.sha256(f"{__version__}\0{sys.version}".encode())
    for module in (sys.modules[__name__], mail_text):
        try:
            digest.update(Path(module.__file__ or "").read_bytes())
        except OSError:  # a kit run from an archive: its version alone names its code
            digest.update(module.__name__.encode())
    return digest.hexdigest()[:16]


def encode_findings(findings: list[Finding]) -> str:
    """Findings as the memo keeps them: "" for none (most messages), else JSON pairs."""
    return json.dumps([[f.check, f.detail] for f in findings], ensure_ascii=True) if findings else ""


def decode_findings(text: str) -> list[Finding] | None:
    """What encode_findings wrote; None for anything else (a memo in a tampered index folder: a miss)."""
    if not text:
        return []
    try:
        findings = [Finding(check, detail) for check, detail in json.loads(text)]
    except (ValueError, TypeError):
        return None
    well_formed = findings and all(isinstance(f.check, str) and isinstance(f.detail, str) for f in findings)
    return findings if well_formed else None
