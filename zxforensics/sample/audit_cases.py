"""Sample cases of the audit: shares of every status, an import map, findings and purge cases.

- `add` (inside the backup path): grants in `zimbraSharedItem` and mountpoint items (SHARES says
  the status of each), `map_<OLD_SERVER_ID>` (a Java-serialized HashMap) and alice's
  `id_mapper.log`, an item whose metadata misstates its size, a blob under a prefix of the
  wrong case, and deleted items for the purge (PURGE_ITEMS). The faults of `faults` supply
  the other findings (missing, orphan, misplaced, double gzip...).
- `add_siblings` (beside it): getAllOperations outputs, a second server's backup path
  (`backup2/`: no backupstat, an account folder in upper case, an rsync leftover under items/,
  carol also on server 1) and an
  offsite copy of `backup/` with the known differences of COPY_DIFFERENCES.
Item ids 7101.. are free in every sample account.
"""

from __future__ import annotations

import os
import random
import shutil
import struct
from pathlib import Path

import orjson

from ..format import digest as vdigest
from ..format import layout
from .builder import StoreBuilder, gzip_bytes
from .catalog import SERVER_ID, SERVER_NAME, AccountSpec, account_id, ms, stable_id
from .faults import fault_message
from .generate import AccountPlan, account_records, chain, populate_account

OLD_SERVER_ID = stable_id("server:old.domain.com")  # the server the accounts were imported from
OLD_IDS = {"alice@example.com": stable_id("old:alice"), "carol@domain.com": stable_id("old:carol"),
           "frank@example.com": stable_id("old:frank")}  # fmt: skip
ID_MAPPER = {1257: 257, 1258: 258, 1259: 259, 1260: 260, 1261: 261}  # alice's folders before -> after import
SIZE_MISMATCH_ITEM = ("frank@example.com", 7101)
CASE_MISMATCH_ITEM = ("frank@example.com", 7102)  # its blob sits under a prefix of the other case
# (owner or holder, kind, id) -> status; a grant is keyed by (owner, "grant", folder id, grantee).
SHARES = {
    ("alice@example.com", "grant", 257, "bob@example.com"): "ok",
    ("bob@example.com", "mountpoint", 7110): "ok",
    ("alice@example.com", "grant", 258, "old:carol"): "grantee_missing",
    ("bob@example.com", "grant", 9999, "alice@example.com"): "folder_missing",
    ("admin@example.com", "grant", 257, "carol@domain.com"): "grant_without_mountpoint",
    ("carol@domain.com", "mountpoint", 7111): "owner_missing",
    ("frank@example.com", "mountpoint", 7112): "folder_missing",
    ("account1@domain.com", "mountpoint", 7113): "mountpoint_dangling",
}
# deleted items (account, id) -> (deletion instant, shares its blob with a live item)
PURGE_ITEMS = {
    ("frank@example.com", 7120): (ms(2014, 1, 20, 9, 0), True),
    ("frank@example.com", 7122): (ms(2014, 1, 22, 9, 0), False),
    ("frank@example.com", 7123): (ms(2014, 2, 20, 9, 0), False),  # within 30 days of 01/03/2014
}
SHARED_WITH = ("alice@example.com", 7121)  # the live item holding 7120's content
SERVER2_NAME = "mail2.domain.com"
SERVER2_ID = stable_id("server:" + SERVER2_NAME)
SERVER2_ACCOUNTS = (
    AccountSpec("carol@domain.com", "Carla Dupont", aliases=("carla@domain.com",)),  # also on server 1
    AccountSpec("grace@domain2.com", "Grace Hopper"),  # its folder name is in upper case
    AccountSpec("henry@domain2.com", "Henry Dubois"),
)
UPPER_CASE_ACCOUNT = "grace@domain2.com"


def message(n: int, subject: str, body: str = "") -> bytes:
    """A small RFC 822 message, as the fault cases make them (Message-ID `<fault-n@domain.com>`)."""
    return fault_message(n, subject, body)


def put(builder, plans, mail: str, item_id: int, states: list[dict]) -> None:
    builder.item(account_id(mail), item_id, chain(states))
    plans[mail].item_ids.append(item_id)


def mail_state(item_id: int, start: int, digest: str | None, size: int, subject: str, **extra) -> dict:
    return {"id": item_id, "type": "message", "folderId": 2, "startDate": start, "deleted": False,
            "digest": digest, "size": size, "date": start, "subject": subject, "sender": "sender@domain.com",
            **extra}  # fmt: skip


def add(builder: StoreBuilder, plans: dict[str, AccountPlan]) -> None:
    add_findings(builder, plans)
    add_purge_items(builder, plans)
    add_shares(builder, plans)
    builder.write(f"map_{OLD_SERVER_ID}", java_hashmap(sorted((OLD_IDS[m], account_id(m)) for m in OLD_IDS)))
    lines = "".join(f"{source} {target}\n" for source, target in ID_MAPPER.items())
    builder.write(f"{layout.ACCOUNTS_DIR}/{account_id('alice@example.com')}/{layout.ID_MAPPER_LOG}", lines.encode())


def add_findings(builder: StoreBuilder, plans: dict[str, AccountPlan]) -> None:
    """A size the metadata misstates, and a blob under a prefix of the other case."""
    start = ms(2014, 1, 10, 9, 0)
    raw = message(7101, "Size misstated")
    put(builder, plans, "frank@example.com", 7101,
        [mail_state(7101, start, builder.blob(raw), len(raw) + 17, "Size misstated")])  # fmt: skip
    n = 0
    while True:  # content whose digest starts with a letter pair that has another case
        raw = message(7102, "Copied through a case-insensitive disk", f"Attempt {n}.\n")
        digest = vdigest.digest_of(raw)
        if digest[:2].swapcase() != digest[:2]:
            break
        n += 1
    builder.write(f"{layout.ITEMS_DIR}/{digest[:2].swapcase()}/{digest}", gzip_bytes(raw))
    put(builder, plans, "frank@example.com", 7102,
        [mail_state(7102, start, digest, len(raw), "Copied through a case-insensitive disk")])  # fmt: skip


def add_purge_items(builder: StoreBuilder, plans: dict[str, AccountPlan]) -> None:
    """Deleted items: one whose blob a live item still needs, one freeing its blob, one too recent."""
    for (mail, item_id), (deleted_at, shared) in PURGE_ITEMS.items():
        subject = "Shared announcement" if shared else f"Deleted note {item_id}"
        raw = message(7121 if shared else item_id, subject)
        digest, created = builder.blob(raw), deleted_at - 15 * 86_400_000
        live = mail_state(item_id, created, digest, len(raw), subject)
        put(builder, plans, mail, item_id, [live, dict(live, startDate=deleted_at, folderId=3, deleted=True)])
        if shared:
            put(builder, plans, SHARED_WITH[0], SHARED_WITH[1], [mail_state(SHARED_WITH[1], created, digest,
                                                                            len(raw), subject)])  # fmt: skip


def grant(grantee_id: str, grantee: str, folder_id: int, path: str) -> str:
    """One `zimbraSharedItem` value (FORMAT.md §6)."""
    return (f"granteeId:{grantee_id};granteeName:{grantee};granteeType:usr;folderId:{folder_id};"
            f"folderPath:{path};folderDefaultView:message;rights:r;type:folder")  # fmt: skip


def add_shares(builder: StoreBuilder, plans: dict[str, AccountPlan]) -> None:
    grants = {
        "alice@example.com": [grant(account_id("bob@example.com"), "bob@example.com", 257, "/Inbox/Projects"),
                              grant(OLD_IDS["carol@domain.com"], "carol@domain.com", 258, "/Inbox/Invoices")],
        "bob@example.com": [grant(account_id("alice@example.com"), "alice@example.com", 9999, "/Inbox/Gone")],
        "admin@example.com": [grant(account_id("carol@domain.com"), "carol@domain.com", 257, "/Inbox/Projects")],
    }  # fmt: skip
    for mail, values in grants.items():
        rel = f"{layout.ACCOUNTS_DIR}/{account_id(mail)}/{layout.ACCOUNT_INFO}"
        info = orjson.loads((builder.root / rel).read_bytes())  # as sample/__init__ (or a case) wrote it
        info["zimbraSharedItem"] = [*info.get("zimbraSharedItem", []), *values]
        builder.write_json(rel, info)
    mounts = [
        ("bob@example.com", 7110, "Alice's Projects", account_id("alice@example.com"), 257),
        ("carol@domain.com", 7111, "Alice's Archive", OLD_IDS["alice@example.com"], 1259),
        ("frank@example.com", 7112, "Admin's Reports", account_id("admin@example.com"), 9998),
        ("account1@domain.com", 7113, "Alice's Archive", account_id("alice@example.com"), 259),
    ]
    for mail, item_id, name, owner, remote in mounts:
        state = {"id": item_id, "type": "mountpoint", "folderId": 1, "parentId": 1, "name": name,
                 "startDate": ms(2013, 9, 2, 8, 0), "deleted": False, "ownerId": owner, "remoteId": remote}
        put(builder, plans, mail, item_id, [state])  # fmt: skip


def java_hashmap(pairs: list[tuple[str, str]]) -> bytes:
    """A `java.util.HashMap<String,String>` as ObjectOutputStream writes it (Java Object
    Serialization Specification §6.4; HashMap.writeObject: loadFactor, threshold, then block
    data with capacity and size, then key/value objects). Deterministic: entries in given order."""

    def utf(text: str) -> bytes:
        data = text.encode("utf-8")
        return struct.pack(">H", len(data)) + data

    capacity = 16
    while capacity * 0.75 < len(pairs):
        capacity *= 2
    out = bytearray(b"\xac\xed\x00\x05")  # STREAM_MAGIC, STREAM_VERSION
    out += b"\x73\x72" + utf("java.util.HashMap")  # TC_OBJECT, TC_CLASSDESC
    out += struct.pack(">qBH", 362498820763181265, 0x03, 2)  # serialVersionUID, SC_SERIALIZABLE|SC_WRITE_METHOD
    out += b"F" + utf("loadFactor") + b"I" + utf("threshold") + b"\x78\x70"  # TC_ENDBLOCKDATA, TC_NULL
    out += struct.pack(">fi", 0.75, int(capacity * 0.75))
    out += b"\x77\x08" + struct.pack(">ii", capacity, len(pairs))  # TC_BLOCKDATA
    for key, value in pairs:
        out += b"\x74" + utf(key) + b"\x74" + utf(value)  # TC_STRING
    return bytes(out + b"\x78")


# -- beside the backup path --------------------------------------------------------------------
OPERATIONS = [
    {"id": "30ed9eb9-eb28-4ca6-b65e-9940654b8601", "operation": "SmartScan", "status": "RUNNING",
     "host": SERVER_NAME, "author": "zimbra", "submitDate": "28/02/2014 04:00:00", "startDate": "28/02/2014 04:00:01",
     "verbose": {"description": "Scan all accounts", "progress": "42%", "accounts": "10"}},
    {"id": str(stable_id("operation:external-restore")), "operation": "ExternalRestore", "status": "QUEUED",
     "host": SERVER_NAME, "author": "admin@example.com", "submitDate": "27/02/2014 18:12:40", "startDate": "",
     "verbose": {"description": "Import from /mnt/import", "progress": "0%", "accounts": "3"}},
    {"id": str(stable_id("operation:purge")), "operation": "BackupPurge", "status": "QUEUED",
     "host": SERVER_NAME, "author": "admin@example.com", "submitDate": "28/02/2014 04:02:13", "startDate": "",
     "verbose": {"description": "Purge deleted items", "progress": "0%", "accounts": "all"}},
]  # fmt: skip
COPY_MISSING_BLOB = message(7101, "Size misstated")
COPY_EXTRA_BLOB = message(7198, "Purged from the original since the last rsync")


def copy_differences() -> dict[str, str]:
    """Relative path -> how `offsite_copy/` differs from `backup/` there."""
    alice_shared = message(SHARED_WITH[1], "Shared announcement")
    return {
        f"lock_{SERVER_ID}": "missing",
        vdigest.blob_relpath(vdigest.digest_of(COPY_MISSING_BLOB)): "missing",
        vdigest.blob_relpath(vdigest.digest_of(COPY_EXTRA_BLOB)): "extra",
        vdigest.blob_relpath(vdigest.digest_of(alice_shared)): "content_differs",  # same size
        layout.item_relpath(account_id("frank@example.com"), 7120): "size_differs",
    }


def add_siblings(sample_dir: str | Path, backup_path: str | Path) -> None:
    sample_dir, backup_path = Path(sample_dir), Path(backup_path)
    write_operations(sample_dir / "operations")
    make_backup2(sample_dir / "backup2")
    make_offsite_copy(backup_path, sample_dir / "offsite_copy")


def write_operations(folder: Path) -> None:
    from ..format.text import render

    folder.mkdir(parents=True, exist_ok=True)
    for name, verbose in (("getAllOperations.txt", False), ("getAllOperations_verbose.txt", True)):
        groups = []
        for op in OPERATIONS:
            pairs = [(k, v) for k, v in op.items() if k != "verbose"]
            groups.append(pairs + (list(op["verbose"].items()) if verbose else []))
        (folder / name).write_text(render([("operations", groups)]) + "\n", encoding="utf-8")


def make_backup2(folder: Path) -> Path:
    """A second mailstore's backup path: carol is on both servers, grace's folder is in upper case."""
    builder = StoreBuilder(folder)
    rng = random.Random(4242)
    mails = [spec.mail for spec in SERVER2_ACCOUNTS]
    for spec in SERVER2_ACCOUNTS:
        info, stat = account_records(spec, 8)
        info["zimbraMailHost"] = SERVER2_NAME
        builder.account(info, stat)
        populate_account(builder, rng, spec, 8, [m for m in mails if m != spec.mail])
    builder.write(f"lock_{SERVER2_ID}", b"")  # no backupstat: its first SmartScan never completed
    stray = sorted(builder.blob_digests)[0]  # an interrupted rsync leaves `.<name>.XXXXXX` beside the blob
    builder.write(f"{layout.ITEMS_DIR}/{stray[:2]}/.{stray}.Qx7Tz2", gzip_bytes(b"partial"))
    grace = next(s for s in SERVER2_ACCOUNTS if s.mail == UPPER_CASE_ACCOUNT).account_id
    accounts = folder / layout.ACCOUNTS_DIR
    os.rename(accounts / grace, accounts / grace.upper())
    return folder


def make_offsite_copy(backup_path: Path, copy: Path) -> Path:
    """An rsync'd copy (links kept as links) with the known differences of `copy_differences`."""
    shutil.copytree(backup_path, copy, symlinks=True)
    changes = copy_differences()
    for rel, change in changes.items():
        target = copy / rel
        if change == "missing":
            target.unlink()
        elif change == "extra":  # kept by an rsync without --delete
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(gzip_bytes(COPY_EXTRA_BLOB))
        elif change == "content_differs":  # one flipped bit: rsync's size check does not see it
            data = bytearray(target.read_bytes())
            data[len(data) // 2] ^= 0x01
            target.write_bytes(bytes(data))
        else:  # copied before the item was deleted: its first state only
            states = orjson.loads(target.read_bytes())
            target.write_bytes(orjson.dumps(chain([dict(states[0])])))
    return copy
