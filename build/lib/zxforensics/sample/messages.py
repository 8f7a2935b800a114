"""Realistic item contents for the generator: RFC 822 messages, calendar and task MIME, documents.

Built with the standard `email` package; boundaries and ids are derived from the seed, so
the bytes (and so the digests) are the same on every run.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP, EmailPolicy
from email.utils import format_datetime

LF_POLICY = EmailPolicy(linesep="\n")

FIRST_NAMES = ["Alice", "Bob", "Carla", "Dario", "Émile", "François", "Jürgen", "Zoë", "Søren", "Chiara"]
LAST_NAMES = ["Rossi", "Müller", "Dupont", "Smith", "García", "Nakamura", "Kowalski", "Ødegaard"]
TOPICS = [
    "Quarterly report", "Invoice {n}", "Meeting notes", "Réunion de projet", "Übersicht März",
    "Server maintenance window", "Re: budget {n}", "Fwd: contract draft", "Naïve question about the VPN",
    "Ticket #{n} resolved", "Lunch on Friday?", "Backup verification {n}",
]  # fmt: skip
BODY_LINES = [
    "Please find the details below.",
    "Let me know if anything is missing.",
    "The numbers for this quarter are attached.",
    "Grazie mille per l'aiuto, a presto.",
    "Merci de confirmer la réception.",
    "Viele Grüße aus dem Büro.",
    "The maintenance starts at 22:00 CET and should last two hours.",
]


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _fix_boundaries(msg: EmailMessage, tag: str) -> None:
    """Give every multipart a boundary derived from `tag`, instead of a random one."""
    for index, part in enumerate(msg.walk()):
        if part.is_multipart():
            part.set_boundary(f"=_zx_{tag}_{index}")


def mail_message(
    rng: random.Random,
    n: int,
    sender: str,
    recipient: str,
    when: datetime,
    *,
    crlf: bool = False,
) -> tuple[bytes, str, str]:
    """A message as Zimbra stores it: (bytes, subject, sender display). Shapes vary with `rng`."""
    msg = EmailMessage(policy=SMTP if crlf else LF_POLICY)
    sender_name = person(rng)
    subject = rng.choice(TOPICS).format(n=n)
    msg["Return-Path"] = f"<{sender}>"
    msg["Received"] = (
        f"from mail.example.com (LHLO mail.example.com) (192.0.2.{n % 250 + 1}) by mail.example.com "
        f"with LMTP; {format_datetime(when)}"
    )
    msg["From"] = f"{sender_name} <{sender}>"
    msg["To"] = recipient
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<{when.strftime('%Y%m%d%H%M%S')}.{n}@mail.example.com>"
    body = "\n".join(rng.sample(BODY_LINES, 3)) + f"\n\n-- \n{sender_name}\n"
    msg.set_content(body)
    shape = rng.random()
    if shape < 0.3:
        msg.add_alternative(f"<html><body><p>{body.replace(chr(10), '<br>')}</p></body></html>", subtype="html")
    elif shape < 0.55:
        payload = bytes(rng.getrandbits(8) for _ in range(rng.randint(600, 2400)))
        name = rng.choice(["report.pdf", "fattura_2013.pdf", "Übersicht.xlsx", "photo.jpg"])
        maintype, subtype = {"pdf": ("application", "pdf"), "xlsx": ("application", "octet-stream"),
                             "jpg": ("image", "jpeg")}[name.rsplit(".", 1)[1]]  # fmt: skip
        msg.add_attachment(payload, maintype=maintype, subtype=subtype, filename=name)
    elif shape < 0.65:
        inner = EmailMessage(policy=msg.policy)
        inner["From"] = f"{person(rng)} <noreply@domain.com>"
        inner["Subject"] = "Original message"
        inner["Date"] = format_datetime(when)
        inner.set_content("The original text, forwarded as an attachment.\n")
        msg.add_attachment(inner)
    _fix_boundaries(msg, f"{n}")
    return msg.as_bytes(), subject, f"{sender_name} <{sender}>"


def calendar_item(rng: random.Random, n: int, organizer: str, when: datetime, todo: bool = False) -> tuple[bytes, str]:
    """An appointment (VEVENT) or task (VTODO) as the MIME blob Zimbra keeps for it."""
    kind = "VTODO" if todo else "VEVENT"
    summary = rng.choice(["Weekly sync", "Project review", "Call with customer", "Renew certificates"])
    stamp = when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    ics = (
        "BEGIN:VCALENDAR\r\nPRODID:Zimbra-Calendar-Provider\r\nVERSION:2.0\r\nMETHOD:PUBLISH\r\n"
        f"BEGIN:{kind}\r\nUID:zx-{n}@example.com\r\nSUMMARY:{summary}\r\nORGANIZER:mailto:{organizer}\r\n"
        f"DTSTART:{stamp}\r\nDTSTAMP:{stamp}\r\nEND:{kind}\r\nEND:VCALENDAR\r\n"
    )
    msg = EmailMessage(policy=LF_POLICY)
    msg["From"] = organizer
    msg["Subject"] = summary
    msg["Date"] = format_datetime(when)
    msg.set_content(ics, subtype="calendar", charset="utf-8")
    return msg.as_bytes(), summary


def document(rng: random.Random, n: int) -> tuple[bytes, str]:
    """A Briefcase document: a small fake PDF."""
    name = rng.choice(["contract.pdf", "notes.txt", "budget_2014.pdf", "schéma.pdf"])
    body = b"%PDF-1.4\n% zxforensics sample " + str(n).encode() + b"\n" + bytes(rng.getrandbits(8) for _ in range(400))
    return body + b"\n%%EOF\n", name


def chat(rng: random.Random, n: int, peer: str, when: datetime) -> bytes:
    msg = EmailMessage(policy=LF_POLICY)
    msg["From"] = peer
    msg["Subject"] = "Chat"
    msg["Date"] = format_datetime(when)
    msg.set_content(f"[{when:%H:%M}] {peer}: {rng.choice(BODY_LINES)}\n")
    return msg.as_bytes()


# The seed's restored.eml ("Items Not Restored because Identified as Broken Items"), as the
# document prints it, with the blank lines its layout inserted between headers removed.
SEED_RESTORED_EML = (
    b"Return-Path: zimbra@test.example.com\n"
    b"Received: from test.example.com (LHLO test.example.com) (192.168.1.123)\n"
    b" by test.example.com with LMTP; Fri, 12 Jul 2013 16:35:43 +0200 (CEST)\n"
    b"Received: by test.example.com (Postfix, from userid 1001) id 4F34A120CC4;\n"
    b" Fri, 12 Jul 2013 16:35:43 +0200 (CEST)\n"
    b"To: admin@example.com\n"
    b"From: admin@example.com\n"
    b"Subject: Service mailboxd started on test.example.com\n"
    b"Message-Id: <20130712143543.4F34A120CC4@test.example.com>\n"
    b"Date: Fri, 12 Jul 2013 16:35:43 +0200 (CEST)\n"
    b"\n"
    b"Jul 12 16:35:42 test zmconfigd[14198]: Service status change: test.example.com mailboxd changed "
    b"from stopped to running\n"
)
