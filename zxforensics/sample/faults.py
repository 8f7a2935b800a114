"""Deliberate damage in the sample store: one case (at least) of every error kind the reader reports.

`FAULTS` says what each damaged item is, so tests assert exact results rather than "some errors".
"""

from __future__ import annotations

import os
import zlib

import orjson

from ..format import digest as vdigest
from ..format import layout
from .builder import StoreBuilder, gzip_bytes
from .catalog import account_id, ms
from .generate import AccountPlan, chain
from .messages import LF_POLICY

BOMB_SIZE = 600 * 1024 * 1024  # decompresses past the default 512 MiB limit

# (account, item id) -> (error kind the reader reports, where)
FAULTS = {
    ("account1@domain.com", 1255): ("missing", "blob"),
    ("account2@domain.com", 49965): ("truncated_gzip", "blob"),  # its two earlier states verify
    ("account14@domain.com", 856): ("digest_mismatch", "blob"),
    ("account14@domain.com", 13339): ("invalid_json", "metadata"),
    ("account14@domain.com", 45200): ("not_regular_file", "metadata"),
    ("account14@domain.com", 45655): ("link_outside", "metadata"),
    ("carol@domain.com", 5001): ("not_gzip", "blob"),
    ("bob@example.com", 5002): ("too_large", "blob"),
    ("bob@example.com", 5003): ("missing", "blob"),  # its blob sits under the wrong prefix
    ("alice@example.com", 5004): ("invalid_metadata", "metadata"),
    ("alice@example.com", 5005): ("invalid_metadata", "metadata"),
    ("alice@example.com", 5006): ("link_outside", "blob"),  # a dangling link
    ("alice@example.com", 4241): ("misplaced", "metadata"),  # filed under items/42/, readable
}
DOUBLE_GZIP_ITEM = ("account14@domain.com", 5010)
ORPHAN_NOTE = b"orphan blob: no item references this content\n"
MISPLACED_NOTE = b"misplaced blob: stored under another prefix\n"


def fault_message(n: int, subject: str, body: str = "") -> bytes:
    from email.message import EmailMessage

    msg = EmailMessage(policy=LF_POLICY)
    msg["From"] = "Sample Sender <sender@domain.com>"
    msg["To"] = "someone@domain.com"
    msg["Subject"] = subject
    msg["Date"] = "Mon, 20 Jan 2014 10:00:00 +0100"
    msg["Message-ID"] = f"<fault-{n}@domain.com>"
    msg.set_content(body or f"Message {n} of the sample's fault cases.\n")
    return msg.as_bytes()


def _states(item_id: int, digests: list[tuple[str | None, int]], subject: str, start: int) -> list[dict]:
    return chain([
        {"id": item_id, "type": "message", "folderId": 2, "startDate": start + n * 86_400_000, "deleted": False,
         "digest": digest, "size": size, "date": start, "subject": subject, "sender": "sender@domain.com"}
        for n, (digest, size) in enumerate(digests)
    ])  # fmt: skip


def _bomb() -> bytes:
    """A gzip of gzip of zeros: a few KB that decompress to BOMB_SIZE bytes."""
    inner = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(1 << 20)
    parts = [inner.compress(chunk) for _ in range(BOMB_SIZE >> 20)]
    parts.append(inner.flush())
    return gzip_bytes(b"".join(parts))


def add(builder: StoreBuilder, plans: dict[str, AccountPlan]) -> None:
    start = ms(2014, 1, 10, 9, 0, 0)

    def put(mail: str, item_id: int, digests, subject: str) -> None:
        builder.item(account_id(mail), item_id, _states(item_id, digests, subject, start))
        plans[mail].item_ids.append(item_id)

    # missing blob: referenced, never written
    ghost = fault_message(1255, "Minutes of the board meeting")
    put("account1@domain.com", 1255, [(vdigest.digest_of(ghost), len(ghost))], "Minutes of the board meeting")

    # truncated gzip in the newest state; the two earlier drafts verify
    versions = [fault_message(49965, f"Offer v{v}", f"Offer, version {v}.\n") for v in (1, 2, 3)]
    digests = [(builder.blob(raw), len(raw)) for raw in versions[:2]]
    last = vdigest.digest_of(versions[2])
    builder.write(vdigest.blob_relpath(last), gzip_bytes(versions[2])[:-40])
    put("account2@domain.com", 49965, [*digests, (last, len(versions[2]))], "Offer v3")

    # digest mismatch: the file under a digest holds other content
    claimed = fault_message(856, "Signed contract")
    builder.write(vdigest.blob_relpath(vdigest.digest_of(claimed)), gzip_bytes(claimed.replace(b"Signed", b"Forged")))
    put("account14@domain.com", 856, [(vdigest.digest_of(claimed), len(claimed))], "Signed contract")

    # metadata: invalid JSON, a directory, a link out of the tree
    a14 = account_id("account14@domain.com")
    builder.write(layout.item_relpath(a14, 13339), b'[{"transactionId": 1, "id": 13339, "type": "mess')
    builder.write(layout.item_relpath(a14, 45200) + "/README", b"a folder where an item file belongs\n")
    builder.symlink(layout.item_relpath(a14, 45655), "../../../../../../../../../../etc/hostname")
    plans["account14@domain.com"].item_ids.extend([13339, 45200, 45655])

    # not gzip: the blob file holds the raw message
    plain = fault_message(5001, "Uncompressed blob")
    builder.write(vdigest.blob_relpath(vdigest.digest_of(plain)), plain)
    put("carol@domain.com", 5001, [(vdigest.digest_of(plain), len(plain))], "Uncompressed blob")

    # gzip bomb: the digest is of content we never build
    bomb_digest = vdigest.digest_of(b"zxforensics sample bomb")
    builder.write(vdigest.blob_relpath(bomb_digest), _bomb())
    put("bob@example.com", 5002, [(bomb_digest, BOMB_SIZE)], "Huge attachment")

    # blob stored under the wrong prefix: missing where a restore looks, misplaced for the audit
    lost = fault_message(5003, "Filed in the wrong place")
    lost_digest = vdigest.digest_of(lost)
    wrong_prefix = "zz" if not lost_digest.startswith("zz") else "yy"
    builder.write(f"{layout.ITEMS_DIR}/{wrong_prefix}/{lost_digest}", gzip_bytes(lost))
    put("bob@example.com", 5003, [(lost_digest, len(lost))], "Filed in the wrong place")

    # JSON of the wrong shape
    alice = account_id("alice@example.com")
    builder.write(layout.item_relpath(alice, 5004), orjson.dumps({"item": 5004, "note": "no states here"}))
    builder.write(layout.item_relpath(alice, 5005), orjson.dumps([1, 2, 3]))
    plans["alice@example.com"].item_ids.extend([5004, 5005])

    # dangling link inside the tree, in the blob's place
    dangling = fault_message(5006, "Link to nowhere")
    dangling_digest = vdigest.digest_of(dangling)
    builder.symlink(vdigest.blob_relpath(dangling_digest), "../../items/00/does-not-exist")
    put("alice@example.com", 5006, [(dangling_digest, len(dangling))], "Link to nowhere")

    # misplaced item file: 4241 belongs in items/41/
    good = fault_message(4241, "Misfiled metadata")
    builder.item(alice, 4241, _states(4241, [(builder.blob(good), len(good))], "Misfiled metadata", start), nn="42")
    plans["alice@example.com"].item_ids.append(4241)

    # double gzip (valid, restorable) and an orphan blob
    twice = fault_message(5010, "Compressed twice")
    put(DOUBLE_GZIP_ITEM[0], DOUBLE_GZIP_ITEM[1], [(builder.blob(twice, double_gzip=True), len(twice))],
        "Compressed twice")  # fmt: skip
    builder.blob(ORPHAN_NOTE)
    os.sync() if hasattr(os, "sync") else None
