"""Tiny backup paths built in a test: one account, folders and mails given as bytes, hostile ones included."""

from __future__ import annotations

import gzip
import zlib

from zxforensics.format import digest as vdigest
from zxforensics.sample.builder import StoreBuilder

ACCOUNT_ID = "acc-1"
MAIL = "a@example.com"
T0 = 1_373_000_000_000  # July 2013, epoch ms


def mail(subject: str, body: str = "Hello.\n", head: str = "Content-Type: text/plain; charset=us-ascii\n") -> bytes:
    return f"From: B <b@example.com>\nTo: {MAIL}\nSubject: {subject}\nMIME-Version: 1.0\n{head}\n{body}".encode()


def state(item_id: int, digest: str | None, folder: int = 2, start: int = T0, **extra) -> dict:
    found = {"id": item_id, "type": "message", "folderId": folder, "startDate": start, "deleted": False,
             "flags": 0, "date": start, **extra}  # fmt: skip
    if digest:
        found.update(digest=digest, size=1)
    return found


def folder(item_id: int, name: str, parent: int = 1, start: int = T0 - 1000) -> dict:
    return {"id": item_id, "type": "folder", "name": name, "parentId": parent, "folderId": parent,
            "startDate": start, "deleted": False}  # fmt: skip


def new_store(builder: StoreBuilder, account_id: str = ACCOUNT_ID, mail_address: str = MAIL) -> StoreBuilder:
    builder.account({"zimbraId": account_id, "mail": mail_address}, {"lastScan": T0, "deleted": False})
    builder.backupstat("srv", T0, T0, 1)
    return builder


def items(builder: StoreBuilder, histories: dict[int, list[dict]], account_id: str = ACCOUNT_ID) -> None:
    """Write item histories (states in order; endDate and transactionId filled in)."""
    for item_id, states in histories.items():
        for number, current in enumerate(states):
            current.setdefault("transactionId", number + 1)
            current["endDate"] = states[number + 1]["startDate"] if number + 1 < len(states) else None
        builder.item(account_id, item_id, states)


def bomb(builder: StoreBuilder, size: int) -> str:
    """A blob whose gzip holds `size` zero bytes, filed under the digest of other content."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    data = b"".join(packer.compress(bytes(1 << 20)) for _ in range(size >> 20)) + packer.flush()
    digest = vdigest.digest_of(b"a bomb's claimed content")
    builder.write(vdigest.blob_relpath(digest), data)
    return digest


def forged(builder: StoreBuilder) -> str:
    """A blob whose content does not hash to its name."""
    digest = vdigest.digest_of(b"claimed")
    builder.write(vdigest.blob_relpath(digest), gzip.compress(b"Subject: forged\n\nforged 4711\n"))
    return digest
