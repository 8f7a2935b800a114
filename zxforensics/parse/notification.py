"""The restore notification (Operation Completed), as text or as the e-mail itself (FORMAT.md §8).

    report = zx.read_notification("restore_report.eml")
    report.stats          # {'restored': 15233, 'skipped': 125, 'unrestored': 10}
    report.unrestored     # DataFrame account, item_id
    report.check()        # where the per-account lists and the stats line disagree

The vendor's lines are parsed as the seed prints them: indented, `Skipped Items:  125` with two
spaces, ids as `856,13339,45200, 45655`, and `[...]` elisions. A notification is not evidence
of the backup path, so reading its file here breaks no rule of `Evidence`.
"""

from __future__ import annotations

import email
import html
import re
from dataclasses import dataclass, field
from email import errors as email_errors
from email import policy
from pathlib import Path

import pandas as pd

from ..errors import NotAReport
from .bounds import as_int64, short

# Section markers: `- stats -`, `- unrestored items -` [vendor, seed] and `- skipped items -` [ours].
SECTION_RE = re.compile(r"^-+\s*(stats|unrestored items|skipped items)\s*-+$", re.IGNORECASE)
# Stats lines [vendor, seed]: `Restored Items: 15233`, `Skipped Items:  125`, `Unrestored Items: 10`.
STAT_RE = re.compile(r"^(restored|skipped|unrestored) items\s*:\s*([\d][\d,.' ]*)$", re.IGNORECASE)
# Per-account lists [vendor, seed]: `account: <mail>` then `unrestored items: 1255,1369`.
ACCOUNT_RE = re.compile(r"^account\s*:\s*(\S+)$", re.IGNORECASE)
LIST_RE = re.compile(r"^(unrestored|skipped) items\s*:\s*(.*)$", re.IGNORECASE)
IDS_ONLY_RE = re.compile(r"^[\d,;\s]+$")
# Header of the report [ours]: `Operation:`, `Operation ID:`, `Server:`, `Started:`, `Ended:`.
HEADER_RE = re.compile(r"^(operation id|operation|server|started|ended)\s*:\s*(.*)$", re.IGNORECASE)
HEADER_KEYS = {"operation id": "id", "operation": "operation", "server": "server", "started": "started",
               "ended": "ended"}  # fmt: skip
ELISION = "[...]"
# Mail headers that tell an e-mail from a plain text report.
MAIL_HEADERS = ("from", "to", "subject", "date", "mime-version", "content-type", "received", "message-id")
MAIL_HEADER_RE = re.compile(r"^([!-9;-~]+):")
LISTS = ("unrestored", "skipped")
STATS = ("restored", "skipped", "unrestored")  # the keys of `Notification.stats`, in the vendor's order
# What the faces print when `Notification.check()` finds nothing.
ADDS_UP = "the per-account lists add up to the stats line"
LIST_COLUMNS = ["account", "item_id"]
# [ours] a notification is a text part, perhaps beside its HTML: a handful of multiparts. Python's
# e-mail parser recurses per level and checks every line against every open boundary, so 500 nested
# levels took 5 s and 1,000 raised RecursionError: more `multipart/` or `message/` (an attached
# message nests the same way) than this is refused unparsed.
MAX_MULTIPARTS = 50
_EMAIL_FAILURES = (ValueError, LookupError, TypeError, AttributeError, IndexError, email_errors.MessageError)
LOOKED_FOR = (
    "a '- stats -' block (Restored Items / Skipped Items / Unrestored Items lines) or a "
    "'- unrestored items -' block of 'account:' and 'unrestored items:' lines"
)


@dataclass
class Notification:
    """One restore report: header fields, stats line, per-account lists, and parse problems."""

    operation: dict[str, str] = field(default_factory=dict)
    stats: dict[str, int | None] = field(default_factory=dict)
    unrestored: pd.DataFrame = field(default_factory=lambda: _ids_frame([]))
    skipped: pd.DataFrame = field(default_factory=lambda: _ids_frame([]))
    source: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """A label for the report: its operation id, else the file it came from."""
        return self.operation.get("id") or (Path(self.source).name if self.source else "")

    def to_frame(self) -> pd.DataFrame:
        """Both lists as `kind, account, item_id` (kind = unrestored|skipped)."""
        lists = (("unrestored", self.unrestored), ("skipped", self.skipped))
        df = pd.concat([frame.assign(kind=kind) for kind, frame in lists], ignore_index=True)
        return df[["kind", *LIST_COLUMNS]].astype({"item_id": "int64"})

    def check(self) -> list[str]:
        """Consistency findings: lists that do not add up to the stats line, duplicates, parse problems."""
        findings = list(self.problems)
        for kind, frame in (("unrestored", self.unrestored), ("skipped", self.skipped)):
            stated = self.stats.get(kind)
            listed = len(frame)
            if stated is None:
                if listed:
                    findings.append(f"{kind}: {listed} items listed but no '{kind.title()} Items:' stats line")
            elif (kind == "unrestored" or listed) and listed != stated:
                missing = f" ({stated - listed} not listed)" if stated > listed else ""
                findings.append(f"{kind}: the stats line says {stated}, the per-account lists hold {listed}{missing}")
            duplicated = frame[frame.duplicated(keep="first")]
            for row in duplicated.itertuples(index=False):
                findings.append(f"{kind}: item {row.item_id} of {row.account} is listed more than once")
        return findings


def _ids_frame(pairs: list[tuple[str, int]]) -> pd.DataFrame:
    df = pd.DataFrame(pairs, columns=LIST_COLUMNS)
    return df.astype({"account": "object", "item_id": "int64"})


# -- text -> report -------------------------------------------------------------------------
def _parse_ids(text: str, account: str | None, kind: str, problems: list[str]) -> list[int]:
    ids = []
    for token in re.split(r"[,;\s]+", text.strip()):
        if not token:
            continue
        item_id = _item_id(token)
        if item_id is not None:
            ids.append(item_id)
        else:
            problems.append(f"{kind}: {short(token)} of account {account} is not an item id")
    return ids


def _item_id(token: str) -> int | None:
    """An item id written in ASCII digits and within int64 (a frame column), else None."""
    if not (token.isascii() and token.isdigit()):
        return None
    try:
        return as_int64(token, "an item id")
    except ValueError:
        return None


def _parse_stat(value: str) -> int:
    """A stats count (`15,233`, `15.233`, `15 233`); ValueError past int64."""
    return as_int64(re.sub(r"[,.' ]", "", value), "a count")


class _Reader:
    """The line-by-line state of one report being parsed."""

    def __init__(self) -> None:
        self.operation: dict[str, str] = {}
        self.stats: dict[str, int | None] = {}
        self.lists: dict[str, list[tuple[str, int]]] = {kind: [] for kind in LISTS}
        self.problems: list[str] = []
        self.section: str | None = None
        self.account: str | None = None
        self.continues: str | None = None  # the list whose ids may go on on the next line
        self.found = False

    def feed(self, line: str) -> None:
        text = line.strip()
        if text == ELISION:
            return
        if not text:
            self.continues = None
            return
        marker = SECTION_RE.match(text)
        if marker:
            self.section = marker.group(1).lower().split()[0]
            self.account = self.continues = None
            self.found = True
            return
        if self.section in (None, "stats") and self._stat(text):
            return
        if self.section in LISTS and self._list_line(text):
            return
        header = HEADER_RE.match(text)
        if header and self.section is None:
            self.operation[HEADER_KEYS[header.group(1).lower()]] = header.group(2).strip()
        self.continues = None

    def _stat(self, text: str) -> bool:
        stat = STAT_RE.match(text)
        if not stat:
            return False
        try:
            self.stats[stat.group(1).lower()] = _parse_stat(stat.group(2))
        except ValueError as exc:
            self.problems.append(f"stats: {exc}")
        return True

    def _list_line(self, text: str) -> bool:
        account = ACCOUNT_RE.match(text)
        if account:
            self.account, self.continues = account.group(1), None
            return True
        listed = LIST_RE.match(text)
        if listed and listed.group(1).lower() == self.section:
            self._add(listed.group(2))
            self.continues = self.section
            return True
        if self.continues and IDS_ONLY_RE.match(text):
            self._add(text)  # a long list wrapped onto the next line
            return True
        return False

    def _add(self, ids_text: str) -> None:
        kind = self.section or "unrestored"
        if self.account is None:
            self.problems.append(f"{kind}: ids {ids_text.strip()!r} come before any 'account:' line")
        for item_id in _parse_ids(ids_text, self.account, kind, self.problems):
            self.lists[kind].append((self.account or "", item_id))


def parse_notification_text(text: str, source: str = "") -> Notification:
    """The report in a text (the notification body, or any text quoting it)."""
    reader = _Reader()
    for line in text.splitlines():
        reader.feed(line)
    if not reader.found and len(reader.stats) < 2:  # stats lines without their `- stats -` line count too
        where = f" in {source}" if source else ""
        raise NotAReport(f"no restore report found{where}: looked for {LOOKED_FOR}")
    return Notification(
        operation=reader.operation,
        stats={key: reader.stats.get(key) for key in STATS},
        unrestored=_ids_frame(reader.lists["unrestored"]),
        skipped=_ids_frame(reader.lists["skipped"]),
        source=source,
        problems=reader.problems,
    )


# -- e-mail -> text -------------------------------------------------------------------------
def looks_like_email(data: bytes) -> bool:
    """Whether bytes start with an RFC 822 header block that names at least one mail header."""
    head = data.lstrip(b"\r\n")[:65536].replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    names = set()
    for line in head.decode("latin-1").split("\n"):
        if line[:1] in (" ", "\t"):
            continue
        match = MAIL_HEADER_RE.match(line)
        if not match:
            return False
        names.add(match.group(1).lower())
    return bool(names & set(MAIL_HEADERS))


def _html_to_text(markup: str) -> str:
    markup = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</tr>", "\n", markup)
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def email_text(data: bytes) -> str:
    """The readable text of an e-mail: its text/plain parts (else text/html), transfer encoding undone.

    NotAReport for an e-mail of more than MAX_MULTIPARTS nested parts, or whose headers nest deeper
    than the standard library's parser can recurse (comments in comments)."""
    lowered = data.lower()
    nesting = lowered.count(b"multipart/") + lowered.count(b"message/")
    if nesting > MAX_MULTIPARTS:
        raise NotAReport(f"an e-mail of {nesting} multipart or message parts, over the {MAX_MULTIPARTS} "
                         "a notification may have")
    try:
        return _text_parts(email.message_from_bytes(data, policy=policy.default))
    except RecursionError:
        raise NotAReport("an e-mail whose headers nest too deep to be parsed") from None
    except _EMAIL_FAILURES as exc:  # the email package's helpers are not total on hostile headers
        raise NotAReport(f"an e-mail the email package cannot parse: {type(exc).__name__}") from None


def _text_parts(message) -> str:
    plain, markup = [], []
    for part in _leaves(message):
        if part.get_content_maintype() != "text":
            continue
        try:
            content = part.get_content()
        except (LookupError, ValueError, UnicodeError, TypeError, AssertionError):
            payload = part.get_payload(decode=True) or b""
            content = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
        (markup if part.get_content_subtype() == "html" else plain).append(content)
    if plain:
        return "\n".join(plain)
    return "\n".join(_html_to_text(m) for m in markup)


def _leaves(message) -> list:
    """The parts that are not multiparts, in order, walked without recursion (`Message.walk` recurses)."""
    leaves, stack = [], [message]
    while stack:
        part = stack.pop()
        if part.is_multipart():
            children = part.get_payload()
            stack.extend(reversed(children if isinstance(children, list) else []))
        else:
            leaves.append(part)
    return leaves


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def parse_notification(content: bytes | str, label: str = "") -> Notification:
    """A restore report from the notification e-mail (any transfer encoding) or its text;
    NotAReport when the content holds none. `label` names the source in messages."""
    data = content if isinstance(content, bytes) else content.encode("utf-8", errors="replace")
    if looks_like_email(data):
        text = email_text(data)
        try:
            return parse_notification_text(text, label)
        except NotAReport:
            where = f" in the e-mail {label}" if label else " in the e-mail"
            raise NotAReport(
                f"no restore report found{where} (its text parts decoded): looked for {LOOKED_FOR}"
            ) from None
    text = _decode(content) if isinstance(content, bytes) else content
    return parse_notification_text(text, label)
