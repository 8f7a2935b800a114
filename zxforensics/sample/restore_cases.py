"""Sample cases of the restore investigation: messages an LMTP validator refuses, and notifications.

- `add`: one item (at least) per check of `investigate.lmtp`, intact in the backup but invalid
  (INVALID_ITEMS says which check each one fails);
- `add_siblings`: `sample_data/notifications/`: the seed's own excerpt, byte for byte, and the
  Operation Completed report of a restore of the sample store, as text and as the notification
  e-mail (quoted-printable, CRLF), whose unrestored items cover every cause at least twice.
"""

from __future__ import annotations

import uuid
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import TYPE_CHECKING

from .builder import StoreBuilder
from .catalog import NAMESPACE, SERVER_NAME, account_id, ms
from .faults import DOUBLE_GZIP_ITEM, FAULTS
from .generate import AccountPlan, chain
from .seed_examples import SEED_ITEM, SEED_UNRESTORED

if TYPE_CHECKING:
    from ..store.backup import BackupStore

# The seed's excerpt ("The skipped items section contains..."), verbatim with its indentation.
SEED_EXCERPT = """  [...]
  - stats -
  Restored Items: 15233
  Skipped Items:  125
  Unrestored Items: 10

  - unrestored items -
  account: account1@domain.com
  unrestored items: 1255,1369

  account: account2@domain.com
  unrestored items: 49965

  account: account14@domain.com
  unrestored items: 856,13339,45200, 45655
  [...]
"""

_GOOD_HEAD = b"To: someone@domain.com\nSubject: %s\nMessage-ID: <restore-%d@domain.com>\n"
_FROM = b"From: Sample Sender <sender@domain.com>\n"
_DATE = b"Date: Mon, 20 Jan 2014 10:00:00 +0100\n"


def _plain(n: int, subject: bytes, *, head: bytes = _FROM + _DATE, body: bytes = b"A message.\n") -> bytes:
    return head + _GOOD_HEAD % (subject, n) + b"\n" + body


def _crlf(raw: bytes) -> bytes:
    return raw.replace(b"\n", b"\r\n")


def _multipart(n: int, declared: bytes, parts: bytes) -> bytes:
    head = _FROM + _DATE + _GOOD_HEAD % (b"Attachments", n)
    mime = b'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="' + declared + b'"\n\n'
    return head + mime + b"This is a multi-part message in MIME format.\n" + parts


_PART = b"Content-Type: text/plain; charset=us-ascii\n\nPart %d.\n"

# item -> (account, check failed, message bytes); ids 6301.. are free in every sample account.
INVALID_ITEMS: dict[int, tuple[str, str, bytes]] = {
    6301: ("account1@domain.com", "no_separator",
           _FROM + _DATE + b"Subject: No separator\nThe body starts right after the header.\n"),
    6302: ("account1@domain.com", "missing_from", _plain(6302, b"No sender", head=_DATE)),
    6303: ("account1@domain.com", "unparseable_from",
           _plain(6303, b"Bad sender", head=b"From: Accounts Dept <accounts.domain.com>\n" + _DATE)),
    6304: ("account1@domain.com", "missing_date", _plain(6304, b"No date", head=_FROM)),
    6305: ("account1@domain.com", "unparseable_date",
           _plain(6305, b"Bad date", head=_FROM + b"Date: 31/02/2014 25:61:00\n")),
    6306: ("carol@domain.com", "long_header_line",
           _plain(6306, b"Long references", head=_FROM + _DATE + b"References: " +
                  b" ".join(b"<ref-%04d@domain.com>" % i for i in range(60)) + b"\n")),
    6307: ("carol@domain.com", "bare_cr", _crlf(_plain(6307, b"Bare CR", body=b"Line one\rline two.\n"))),
    6308: ("carol@domain.com", "mixed_line_ends", _crlf(_plain(6308, b"Mixed line ends")) + b"Appended line.\n"),
    6309: ("carol@domain.com", "nul_byte", _plain(6309, b"NUL byte", body=b"Binary\x00garbage in the text.\n")),
    6310: ("frank@example.com", "8bit_header", _plain(6310, "Réunion à 10h".encode())),
    6311: ("frank@example.com", "mime_boundary",
           _multipart(6311, b"=_zx_6311", b"--=_zx_6311\n" + _PART % 1 + b"--=_zx_6311\n" + _PART % 2)),
    6312: ("frank@example.com", "mime_boundary",
           _multipart(6312, b"=_zx_6312", b"--=_other\n" + _PART % 1 + b"--=_other--\n")),
    6313: ("frank@example.com", "header_parse_error",
           _plain(6313, b"Unparseable sender", head=b'From: "billing"@\n' + _DATE)),
}  # fmt: skip
# account2's 6314: two states, the first a valid message, the newest refused (no Date).
TWO_STATE_ITEM = ("account2@domain.com", 6314)


def _states(item_id: int, blobs: list[bytes], builder: StoreBuilder, subject: str) -> list[dict]:
    start = ms(2014, 1, 20, 9, 0, 0) + (item_id - 6300) * 60_000
    return chain([
        {"id": item_id, "type": "message", "folderId": 2, "startDate": start + n * 3_600_000, "deleted": False,
         "digest": builder.blob(raw), "size": len(raw), "date": start, "subject": subject,
         "sender": "sender@domain.com"}
        for n, raw in enumerate(blobs)
    ])  # fmt: skip


def add(builder: StoreBuilder, plans: dict[str, AccountPlan]) -> None:
    """Messages intact in the backup that an LMTP validator refuses, one check each (at least)."""
    for item_id, (mail, check, raw) in INVALID_ITEMS.items():
        builder.item(account_id(mail), item_id, _states(item_id, [raw], builder, check.replace("_", " ")))
        plans[mail].item_ids.append(item_id)
    mail, item_id = TWO_STATE_ITEM
    first = _plain(item_id, b"Draft")
    newest = _plain(item_id, b"Draft, edited", head=_FROM)
    builder.item(account_id(mail), item_id, _states(item_id, [first, newest], builder, "Draft, edited"))
    plans[mail].item_ids.append(item_id)


# -- the notifications beside the store -----------------------------------------------------
NOT_IN_BACKUP = {"account1@domain.com": (1400,), "carol@domain.com": (7777,), "account2@domain.com": (50001,)}
RESTORABLE = {SEED_ITEM[0]: (SEED_ITEM[1],), DOUBLE_GZIP_ITEM[0]: (DOUBLE_GZIP_ITEM[1],)}
REPORT_ACCOUNTS = (
    "account1@domain.com", "account2@domain.com", "account14@domain.com", "admin@example.com", "alice@example.com",
    "bob@example.com", "carol@domain.com", "frank@example.com",
)  # fmt: skip
SKIPPED_ACCOUNTS = {"admin@example.com": 16, "account2@domain.com": 3}  # how many of their first messages
OPERATION = {
    "operation": "External Restore",
    "id": str(uuid.uuid5(NAMESPACE, "operation:restore-report")),
    "server": SERVER_NAME,
    "started": "03/03/2014 09:12:05",
    "ended": "03/03/2014 09:57:41",
}


def report_unrestored() -> dict[str, list[int]]:
    """Per account, the unrestored items of the sample report: the seed's, the faults (but the
    misplaced item file), the invalid items, ids the backup lacks, and items that verify."""
    wanted: dict[str, list[int]] = {mail: [] for mail in REPORT_ACCOUNTS}
    for mail, ids in SEED_UNRESTORED.items():
        wanted[mail].extend(ids)
    for (mail, item_id), (kind, _where) in FAULTS.items():
        if kind != "misplaced" and item_id not in wanted[mail]:
            wanted[mail].append(item_id)
    for item_id, (mail, _check, _raw) in INVALID_ITEMS.items():
        wanted[mail].append(item_id)
    wanted[TWO_STATE_ITEM[0]].append(TWO_STATE_ITEM[1])
    for extra in (NOT_IN_BACKUP, RESTORABLE):
        for mail, ids in extra.items():
            wanted[mail].extend(ids)
    return {mail: ids for mail, ids in wanted.items() if ids}


def report_skipped(store: BackupStore) -> dict[str, list[int]]:
    """Per account, messages of the store that the report calls skipped (restored by an earlier run)."""
    last = store.items("last")
    taken = {i for ids in report_unrestored().values() for i in ids}
    skipped = {}
    for mail, count in SKIPPED_ACCOUNTS.items():
        mine = last[(last["account"] == mail) & (last["type"] == "message") & ~last["item_id"].isin(taken)]
        skipped[mail] = sorted(int(i) for i in mine["item_id"])[:count]
    return skipped


def report_text(backup_path: Path) -> str:
    """The Operation Completed report of the sample restore (FORMAT.md §8)."""
    from ..investigate.diagnose import item_errors, store_items
    from ..store.backup import open_backup

    store = open_backup(backup_path, tz="UTC")
    unrestored = report_unrestored()
    skipped = report_skipped(store)
    absent = sum(len(ids) for ids in NOT_IN_BACKUP.values())
    n_unrestored = sum(len(ids) for ids in unrestored.values())
    n_skipped = sum(len(ids) for ids in skipped.values())
    in_store = len(store_items(store, store.item_states(), item_errors(store.errors)))  # unreadable ones too
    restored = in_store - (n_unrestored - absent) - n_skipped
    lines = [f"Operation: {OPERATION['operation']}", f"Operation ID: {OPERATION['id']}",
             f"Server: {OPERATION['server']}", f"Started: {OPERATION['started']}", f"Ended: {OPERATION['ended']}",
             "", "- stats -", f"Restored Items: {restored}", f"Skipped Items:  {n_skipped}",
             f"Unrestored Items: {n_unrestored}", "", "- unrestored items -"]  # fmt: skip
    for mail, ids in unrestored.items():
        lines += [f"account: {mail}", "unrestored items: " + ",".join(str(i) for i in ids), ""]
    lines.append("- skipped items -")
    for mail, ids in skipped.items():
        lines += [f"account: {mail}", "skipped items: " + ", ".join(str(i) for i in ids), ""]
    return "\n".join(lines)


def report_email(text: str) -> bytes:
    """The notification e-mail carrying `text`: quoted-printable, CRLF line ends, fixed headers."""
    message = EmailMessage(policy=SMTP)
    message["From"] = f"Zextras Backup <zextras@{SERVER_NAME}>"
    message["To"] = "admin@example.com"
    message["Subject"] = f"Operation Completed: {OPERATION['operation']} on {SERVER_NAME}"
    message["Date"] = "Mon, 03 Mar 2014 09:57:42 +0100"
    message["Message-ID"] = f"<{OPERATION['id']}@{SERVER_NAME}>"
    message.set_content("Operation Completed\n\n" + text, charset="utf-8", cte="quoted-printable")
    return message.as_bytes()


def add_siblings(sample_dir: str | Path, backup_path: str | Path) -> None:
    """Write `notifications/`: seed_excerpt.txt, restore_report.txt and restore_report.eml."""
    folder = Path(sample_dir) / "notifications"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "seed_excerpt.txt").write_bytes(SEED_EXCERPT.encode("utf-8"))
    text = report_text(Path(backup_path))
    (folder / "restore_report.txt").write_bytes(text.encode("utf-8"))
    (folder / "restore_report.eml").write_bytes(report_email(text))
