"""Sample cases of the hand-over: a mailbox exported at a date, and a search inside the mails.

In alice's mailbox (her folders: Projects 257 and Invoices 258 under the Inbox, Archive 259):
- EXPORT_CASES: a folder renamed after the export date, a message only an older state holds
  (deleted later), and Zimbra flags of every kind (UNREAD clear = seen, FLAGGED, REPLIED,
  FORWARDED, DRAFT, DELETED), with the Maildir info each one gets at EXPORT_DATE and at `last`;
- SEARCH_CASES: "invoice 4711" written every way a mail hides it from `zgrep` (a quoted-printable
  soft line break, base64, ISO-8859-1, an RFC 2047 subject, an RFC 2231 attachment name), and once
  only in headers the search does not read. Item ids 8101.. are free in every sample account.
"""

from __future__ import annotations

import base64

from ..format import flags as zflags
from .builder import StoreBuilder
from .catalog import account_id, ms
from .generate import AccountPlan, chain

ACCOUNT = "alice@example.com"
EXPORT_DATE = "15/08/2013 00:00:00"  # in the sample's server zone, Europe/Paris
BEFORE, RENAMED, LATER = ms(2013, 7, 5, 9), ms(2014, 1, 10, 9), ms(2013, 9, 2, 9)
CONTRACTS = 8101  # a folder under the Inbox: `Contracts` at EXPORT_DATE, `Contracts 2014` at last
# item -> (folder path and Maildir info at EXPORT_DATE, the same at last; None: not in the mailbox then)
EXPORT_CASES: dict[int, tuple[tuple[str, str] | None, tuple[str, str] | None]] = {
    8102: (("/Inbox/Contracts", "FRS"), ("/Inbox/Contracts 2014", "FRS")),
    8103: (("/Inbox/Projects", ""), None),  # deleted on 2 September 2013: only the older state holds it
    8104: (("/Drafts", "DS"), ("/Drafts", "DS")),
    8105: (("/Inbox", "PS"), ("/Archive", "PS")),
    8106: (("/Inbox", "T"), ("/Inbox", "T")),
}
PATTERN = "invoice 4711"
# item -> the field where PATTERN (or "Rechnung 4711") is found; None: only in headers nobody searches
SEARCH_CASES = {
    8111: "body",  # quoted-printable, with a soft line break inside the pattern
    8112: "body",  # base64
    8113: "body",  # ISO-8859-1: "Gebühr für Rechnung 4711"
    8114: "attachment_names",  # RFC 2231: "Rechnung 4711.pdf"
    8115: None,  # X-Invoice header and Message-ID only
    8116: "subject",  # RFC 2047 in ISO-8859-1: "Mahnung: Rechnung 4711 überfällig"
}
INVOICES = 258


def _mail(n: int, subject: bytes, head: bytes, body: bytes) -> bytes:
    return (b"From: Accounts <accounts@domain.com>\nTo: alice@example.com\nSubject: " + subject +
            b"\nDate: Mon, 22 Jul 2013 10:00:00 +0200\nMessage-ID: <handover-%d@domain.com>\nMIME-Version: 1.0\n" % n +
            head + b"\n" + body)  # fmt: skip


_QP = b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n"
SEARCH_MAILS = {
    8111: _mail(8111, b"Reminder", _QP,
                b"Dear Alice,=0A=0Athe payment of invoice 47=\n11 is overdue since 30 June.\n"),
    8112: _mail(8112, b"Statement", b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n",
                base64.encodebytes(b"Your statement lists invoice 4711 as open.\n")),
    8113: _mail(8113, b"Mahnung", b"Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n",
                "Die Gebühr für Rechnung 4711 ist fällig.\n".encode("iso-8859-1")),
    8114: _mail(8114, b"Documents", b'Content-Type: multipart/mixed; boundary="=_zx_8114"\n',
                b"--=_zx_8114\nContent-Type: text/plain; charset=us-ascii\n\nPlease see the attachment.\n"
                b"--=_zx_8114\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n"
                b"Content-Disposition: attachment; filename*=utf-8''Rechnung%204711.pdf\n\nJVBERi0xLjQK\n"
                b"--=_zx_8114--\n"),
    8115: _mail(8115, b"Accounts", b"X-Invoice: invoice 4711\nContent-Type: text/plain; charset=us-ascii\n",
                b"Nothing to report this week.\n").replace(b"<handover-8115@", b"<invoice-4711@"),
    8116: _mail(8116, b"=?iso-8859-1?q?Mahnung=3A_Rechnung_4711_=FCberf=E4llig?=",
                b"Content-Type: text/plain; charset=us-ascii\n", b"See the subject.\n"),
}  # fmt: skip


def _state(item_id: int, start: int, folder: int, flags: int, digest: str | None = None, size: int = 0,
           subject: str = "", **extra) -> dict:  # fmt: skip
    state = {"id": item_id, "type": "message", "folderId": folder, "startDate": start, "deleted": False,
             "flags": flags, "date": BEFORE, "subject": subject, "sender": "accounts@domain.com", **extra}  # fmt: skip
    if digest:
        state.update(digest=digest, size=size)
    return state


def add(builder: StoreBuilder, plans: dict[str, AccountPlan]) -> None:
    owner, plan = account_id(ACCOUNT), plans[ACCOUNT]

    def put(item_id: int, states: list[dict]) -> None:
        builder.item(owner, item_id, chain(states))
        plan.item_ids.append(item_id)

    folder = {"id": CONTRACTS, "type": "folder", "name": "Contracts", "parentId": 2, "folderId": 2,
              "startDate": ms(2013, 7, 1, 9), "deleted": False, "revision": 1}  # fmt: skip
    put(CONTRACTS, [folder, dict(folder, name="Contracts 2014", startDate=RENAMED, revision=2)])
    seen, unread = 0, zflags.UNREAD
    cases = {  # item -> (subject, [(start, folder, flags, deleted)])
        8102: ("Signed contract", [(BEFORE, CONTRACTS, unread, False),
                                   (ms(2013, 7, 20, 9), CONTRACTS, zflags.FLAGGED | zflags.REPLIED, False)]),
        8103: ("Project kick-off", [(BEFORE, 257, unread, False), (LATER, 257, unread, True)]),
        8104: ("Unfinished reply", [(BEFORE, 6, zflags.DRAFT | seen, False)]),
        8105: ("Forwarded offer", [(BEFORE, 2, zflags.FORWARDED, False), (ms(2013, 10, 1, 9), 259, zflags.FORWARDED,
                                                                           False)]),
        8106: ("Marked for removal", [(BEFORE, 2, zflags.DELETED | unread, False)]),
    }  # fmt: skip
    for item_id, (subject, history) in cases.items():
        raw = _mail(item_id, subject.encode(), b"Content-Type: text/plain; charset=us-ascii\n", b"Sample text.\n")
        digest = builder.blob(raw)
        put(item_id, [_state(item_id, start, folder_id, flags, digest, len(raw), subject, deleted=deleted)
                      for start, folder_id, flags, deleted in history])  # fmt: skip
    for item_id, raw in SEARCH_MAILS.items():
        put(item_id, [_state(item_id, BEFORE, INVOICES, seen, builder.blob(raw), len(raw), f"Search case {item_id}")])
