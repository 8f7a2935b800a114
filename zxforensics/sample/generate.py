"""Generates item histories: folders, messages, contacts, calendars, documents, chats.

`populate_account` fills one account with a realistic mix; `generate_store` makes a store
of any size for tests and benchmarks (deterministic for a seed).
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..format import digest as vdigest
from . import messages
from .builder import StoreBuilder
from .catalog import DEFAULT_COS_ID, FIRST_SCAN, LAST_SCAN, AccountSpec, ms, stable_id

HOUR = 3_600_000
DAY = 24 * HOUR
USER_FOLDERS = [("Projects", 2), ("Invoices", 2), ("Archive", 1), ("2013", 259), ("Customers", 2)]
TYPE_WEIGHTS = [
    ("message", 62), ("contact", 9), ("appointment", 8), ("task", 5), ("document", 6),
    ("chat", 4), ("draft", 4), ("tag", 2),
]  # fmt: skip
DEFAULT_FOLDER = {"message": 2, "contact": 7, "appointment": 10, "task": 15, "document": 16, "chat": 14, "draft": 6}


@dataclass
class AccountPlan:
    """What was generated for one account, for the faults and cases added after it."""

    spec: AccountSpec
    next_id: int = 257
    folder_ids: list[int] = field(default_factory=list)
    item_ids: list[int] = field(default_factory=list)
    messages: list[int] = field(default_factory=list)

    def take_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1


def chain(states: list[dict]) -> list[dict]:
    """Set each state's endDate to the next state's startDate; the last stays open (null)."""
    for current, following in itertools.pairwise(states):
        current["endDate"] = following["startDate"]
    if states:
        states[-1]["endDate"] = None
    for number, state in enumerate(states, start=1):
        state.setdefault("transactionId", number)
    return states


def history(rng: random.Random, start_ms: int, folder_id: int, end_ms: int) -> list[dict]:
    """Start dates, folders and deletion of an item's states: moves, reads, sometimes deletion."""
    count = rng.choices([1, 2, 3, 4], weights=[50, 25, 17, 8])[0]
    states = [{"startDate": start_ms, "folderId": folder_id, "deleted": False, "flags": 0}]
    when = start_ms
    for _ in range(count - 1):
        when += rng.randint(HOUR, 30 * DAY)
        if when >= end_ms:
            break
        previous = states[-1]
        move = rng.random()
        states.append({
            "startDate": when,
            "folderId": 3 if move < 0.2 else (rng.choice([257, 258, 259]) if move < 0.5 else previous["folderId"]),
            "deleted": False,
            "flags": previous["flags"] | 1,  # \Seen
        })
    if rng.random() < 0.12:
        final = dict(states[-1], startDate=min(states[-1]["startDate"] + rng.randint(HOUR, 20 * DAY), end_ms - 1))
        final["deleted"] = True
        states.append(final)
    return states


def add_folders(builder: StoreBuilder, plan: AccountPlan, start_ms: int) -> None:
    """The user folders (`/Inbox/Projects`, `/Archive/2013`...) as folder items."""
    ids = {}
    for offset, (name, parent) in enumerate(USER_FOLDERS):
        folder_id = plan.take_id()
        ids[name] = folder_id
        parent_id = parent if parent < 256 else ids.get("Archive", 1)
        state = {"id": folder_id, "type": "folder", "name": name, "parentId": parent_id, "folderId": parent_id,
                 "startDate": start_ms + offset * 1000, "deleted": False, "revision": 1}  # fmt: skip
        builder.item(plan.spec.account_id, folder_id, chain([state]))
        plan.folder_ids.append(folder_id)


def content_for(rng, kind, n, spec, peer, when, fast) -> tuple[bytes | None, dict]:
    """Blob bytes and extra metadata fields for one new item of `kind`."""
    stamp = datetime.fromtimestamp(when / 1000, UTC)
    if kind in ("message", "draft"):
        if fast:
            raw = (f"From: {peer}\nTo: {spec.mail}\nSubject: Message {n}\nDate: {stamp:%a, %d %b %Y %H:%M:%S +0000}\n"
                   f"Message-ID: <{n}.{when}@example.com>\n\nBody of message {n}.\n").encode()  # fmt: skip
            return raw, {"subject": f"Message {n}", "sender": peer}
        raw, subject, sender = messages.mail_message(rng, n, peer, spec.mail, stamp, crlf=rng.random() < 0.3)
        return raw, {"subject": subject, "sender": sender}
    if kind in ("appointment", "task"):
        raw, summary = messages.calendar_item(rng, n, peer, stamp, todo=kind == "task")
        return raw, {"subject": summary}
    if kind == "document":
        raw, name = messages.document(rng, n)
        return raw, {"name": name}
    if kind == "chat":
        return messages.chat(rng, n, peer, stamp), {"subject": "Chat"}
    if kind == "contact":
        return None, {"name": f"{messages.person(rng)}"}
    return None, {"name": rng.choice(["important", "todo", "invoices", "personal"])}


def metadata_for(rng, kind, n, spec, peer) -> tuple[str | None, int, dict]:
    """Digest, size and extra fields of one new item without its content (a store without blobs):
    building MIME for every calendar item and chat was 3 ms an item, the digest of a name is 1 µs."""
    if kind == "contact":
        return None, 0, {"name": f"{messages.person(rng)}"}
    if kind == "tag":
        return None, 0, {"name": rng.choice(["important", "todo", "invoices", "personal"])}
    digest = vdigest.digest_of(f"{spec.account_id}/{n}".encode())
    size = rng.randint(400, 80_000)
    if kind in ("message", "draft"):
        return digest, size, {"subject": f"Message {n}", "sender": peer}
    if kind in ("appointment", "task"):
        return digest, size, {"subject": f"{kind.title()} {n}"}
    if kind == "document":
        return digest, size, {"name": f"document-{n}.txt"}
    return digest, size, {"subject": "Chat"}


def populate_account(
    builder: StoreBuilder,
    rng: random.Random,
    spec: AccountSpec,
    n_items: int,
    peers: list[str],
    *,
    start_ms: int = FIRST_SCAN,
    end_ms: int = LAST_SCAN,
    fast: bool = False,
    shared_pool: list[tuple[bytes, dict]] | None = None,
) -> AccountPlan:
    """Fill an account with `n_items` items of every common type and their state histories."""
    plan = AccountPlan(spec)
    if not fast:
        add_folders(builder, plan, start_ms)
    kinds = [k for k, _ in TYPE_WEIGHTS]
    weights = [w for _, w in TYPE_WEIGHTS]
    for _ in range(n_items):
        kind = rng.choices(kinds, weights)[0]
        item_id = plan.take_id()
        created = rng.randint(start_ms, end_ms - 2 * DAY)
        peer = rng.choice(peers) if peers else spec.mail
        if not builder.blobs:  # metadata only: no content to make
            digest, size, extra = metadata_for(rng, kind, item_id, spec, peer)
            raw = None
        elif kind == "message" and shared_pool and rng.random() < 0.1:
            raw, extra = rng.choice(shared_pool)  # the same mail delivered to several mailboxes
        else:
            raw, extra = content_for(rng, kind, item_id, spec, peer, created, fast)
            if kind == "message" and shared_pool is not None and len(shared_pool) < 20:
                shared_pool.append((raw, extra))
        if builder.blobs:
            digest, size = (builder.blob(raw) if kind != "draft" else None, len(raw)) if raw is not None else (None, 0)
        states = history(rng, created, DEFAULT_FOLDER.get(kind, 1), end_ms)
        zimbra_type = "message" if kind == "draft" else kind
        for number, state in enumerate(states):
            state.update({"id": item_id, "type": zimbra_type, "revision": number + 1, **extra})
            state["date"] = created
            if raw is not None or digest is not None:
                state["digest"], state["size"] = digest, size
        if kind == "draft" and raw is None and digest is not None:  # metadata only: a digest per save
            for number, state in enumerate(states):
                state["digest"], state["folderId"] = vdigest.digest_of(f"{digest}/{number}".encode()), 6
        elif kind == "draft":  # each save of a draft is a new blob
            for number, state in enumerate(states):
                eol = b"\r\n" if raw.endswith(b"\r\n") else b"\n"  # keep the message's own line ends
                draft = raw + f"Draft revision {number + 1}.".encode() + eol
                state["digest"], state["size"], state["folderId"] = builder.blob(draft), len(draft), 6
        builder.item(spec.account_id, item_id, chain(states))
        plan.item_ids.append(item_id)
        if kind == "message":
            plan.messages.append(item_id)
    return plan


def account_records(spec: AccountSpec, item_count_hint: int = 0) -> tuple[dict, dict]:
    """account_info and account_stat objects for a spec (FORMAT.md §3)."""
    created = datetime.fromtimestamp(spec.created_ms / 1000, UTC).strftime("%Y%m%d%H%M%SZ")
    info = {
        "zimbraId": spec.account_id,
        "mail": spec.mail,
        "uid": spec.mail.split("@")[0],
        "displayName": spec.display,
        "zimbraAccountStatus": spec.status,
        "zimbraCOSId": spec.cos_id,
        "zimbraMailHost": "test.domain.com",
        "zimbraMailAlias": list(spec.aliases),
        "zimbraCreateTimestamp": created,
        "zimbraPrefLocale": "en_US",
        **spec.extra,
    }
    stat = {
        "lastScan": spec.deleted_ms or LAST_SCAN,
        "lastSequence": 1000 + item_count_hint,
        "deleted": spec.deleted_ms is not None,
        "deletedDate": spec.deleted_ms,
    }
    return info, stat


def generate_store(
    path, accounts: int = 10, items_per_account: int = 100, seed: int = 0, fast: bool = True, blobs: bool = True
) -> str:
    """A synthetic store of `accounts` x `items_per_account` items (about 1.8 states each).

    `blobs=False` writes the metadata alone (no `items/`, as in blobless mode), for benchmark stores of
    millions of states. Its states have the same shape, not the same values: contents are not made,
    digests are those of the item's name."""
    rng = random.Random(seed)
    builder = StoreBuilder(path, blobs=blobs)
    specs = [
        AccountSpec(f"user{n:05d}@bench{n % 3}.example.com", f"User {n}", created_ms=ms(2013, 1, 1))
        for n in range(accounts)
    ]
    mails = [s.mail for s in specs]
    for spec in specs:
        info, stat = account_records(spec, items_per_account)
        info["zimbraCOSId"] = DEFAULT_COS_ID
        builder.account(info, stat)
        populate_account(builder, rng, spec, items_per_account, mails, fast=fast)
    builder.backupstat(stable_id(f"bench-{seed}"), FIRST_SCAN, LAST_SCAN, accounts)
    return str(builder.root)
