"""Stores shaped unlike the sample, for the matrix of faces (issue 10): every notebook, the report and
every verb must work on a store nobody has seen before, not only on the committed sample.

    make_shape("/tmp/s", "unicode")   # /tmp/s/backup; beside it notifications/, maps/, operations/

Deterministic for a name, small on disk but for `large_account`, and built in a second or two
(`large_account`: about 20,000 files in a few seconds).
"""

from __future__ import annotations

import random
import shutil
import tarfile
from collections.abc import Callable
from pathlib import Path

from ..errors import ZxError
from ..format import layout
from .audit_cases import write_operations
from .builder import StoreBuilder
from .catalog import FIRST_SCAN, LAST_SCAN, SERVER_ID, SERVER_NAME, SERVER_TZ, AccountSpec, ms, stable_id
from .generate import account_records, chain, history, populate_account
from .server import tar_gz
from .shape_server import add_server
from .shape_unicode import UNICODE_ACCOUNTS, UNICODE_COS, UNICODE_MEMBERS, populate_unicode

LARGE_ITEMS = 20_000
DELETED_AT = ms(2014, 1, 15, 10, 0, 0)
ABSENT_ITEM = 999_999  # an item id no shape holds: `not_in_backup` in every notification


def _spec(n: int, **kwargs) -> AccountSpec:
    return AccountSpec(f"user{n}@shapes.example.com", f"Shape User {n}", **kwargs)


def _accounts(builder: StoreBuilder, specs: list[AccountSpec], items: int, seed: int) -> dict[str, list[int]]:
    """Accounts with `items` items each, of every common type (the generator's realistic mix)."""
    rng = random.Random(seed)
    mails = [spec.mail for spec in specs]
    held: dict[str, list[int]] = {}
    for spec in specs:
        info, stat = account_records(spec, items)
        builder.account(info, stat)
        held[spec.mail] = []
        if items:  # the generator's mix starts with the user folders: none at all for an account without items
            plan = populate_account(builder, rng, spec, items, [m for m in mails if m != spec.mail])
            held[spec.mail] = plan.item_ids
    return held


def _backupstat(builder: StoreBuilder, specs: list[AccountSpec]) -> None:
    active = sum(1 for spec in specs if spec.deleted_ms is None)
    builder.backupstat(SERVER_ID, FIRST_SCAN, LAST_SCAN, active, timeZone=SERVER_TZ)


def _ordinary(builder: StoreBuilder, specs: list[AccountSpec], items: int, seed: int, server: bool = True,
              cos: tuple[str, ...] = ("default", "nobackup")) -> dict[str, list[int]]:  # fmt: skip
    held = _accounts(builder, specs, items, seed)
    _backupstat(builder, specs)
    if server:
        add_server(builder, specs, cos)
    return held


def empty(builder: StoreBuilder) -> dict[str, list[int]]:
    """A backup path holding nothing but an empty `accounts/`."""
    (builder.root / layout.ACCOUNTS_DIR).mkdir()
    return {}


def no_items(builder: StoreBuilder) -> dict[str, list[int]]:
    """One account with no items at all (no `items/` folder), and the server archives."""
    return _ordinary(builder, [_spec(1)], 0, 1)


def no_server(builder: StoreBuilder) -> dict[str, list[int]]:
    """Three accounts with items, one deleted, and no `server/` folder."""
    specs = [_spec(1), _spec(2), _spec(3, status="closed", deleted_ms=DELETED_AT)]
    return _ordinary(builder, specs, 12, 2, server=False)


def no_deleted(builder: StoreBuilder) -> dict[str, list[int]]:
    """No deleted account, and no COS that disables the backup."""
    return _ordinary(builder, [_spec(1), _spec(2)], 12, 3, cos=("default",))


def only_deleted(builder: StoreBuilder) -> dict[str, list[int]]:
    """Every account deleted (none left in the LDAP dump)."""
    specs = [_spec(n, status="closed", deleted_ms=DELETED_AT + n * 86_400_000) for n in (1, 2)]
    return _ordinary(builder, specs, 10, 4, cos=("default",))


def archives_only(builder: StoreBuilder) -> dict[str, list[int]]:
    """Accounts kept only as S3-style `accounts/<zimbraId>.tar.gz` archives, beside the blobs."""
    specs = [_spec(1), _spec(2, cos="nobackup")]
    held = _ordinary(builder, specs, 10, 5)
    accounts = builder.root / layout.ACCOUNTS_DIR
    for spec in specs:
        folder = accounts / spec.account_id
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        entries = [(f"{spec.account_id}/{p.relative_to(folder)}", p.read_bytes(), tarfile.REGTYPE, 0, "")
                   for p in files]  # fmt: skip
        builder.write(f"{layout.ACCOUNTS_DIR}/{spec.account_id}{layout.ACCOUNT_ARCHIVE_SUFFIX}", tar_gz(entries, 1))
        shutil.rmtree(folder)
    return held


def large_account(builder: StoreBuilder) -> dict[str, list[int]]:
    """One account with LARGE_ITEMS messages: their blobs come from a pool of 64 (a mailing list's
    copies), so the size is in the metadata files, not in the blobs."""
    spec = _spec(1)
    rng = random.Random(6)
    info, stat = account_records(spec, LARGE_ITEMS)
    builder.account(info, stat)
    pool = []
    for n in range(64):
        raw = (f"From: list{n % 4}@lists.example.com\nTo: {spec.mail}\nSubject: Digest {n}\n"
               f"Message-ID: <digest-{n}@lists.example.com>\n\nIssue {n} of the digest.\n").encode()  # fmt: skip
        pool.append((builder.blob(raw), len(raw), f"Digest {n}"))
    ids = []
    for item_id in range(257, 257 + LARGE_ITEMS):
        digest, size, subject = pool[item_id % len(pool)]
        created = rng.randint(FIRST_SCAN, LAST_SCAN - 2 * 86_400_000)
        states = history(rng, created, 2, LAST_SCAN)
        for number, state in enumerate(states, start=1):
            state.update({"id": item_id, "type": "message", "revision": number, "digest": digest, "size": size,
                          "date": created, "subject": subject, "sender": "list@lists.example.com"})  # fmt: skip
        builder.item(spec.account_id, item_id, chain(states))
        ids.append(item_id)
    _backupstat(builder, [spec])
    add_server(builder, [spec])
    return {spec.mail: ids}


def unicode(builder: StoreBuilder) -> dict[str, list[int]]:
    """Unicode everywhere: addresses, display names, folder names, subjects, document names, tags,
    config values, COS and domain names, and customization members."""
    rng = random.Random(7)
    held = {}
    for spec in UNICODE_ACCOUNTS:
        info, stat = account_records(spec, 12)
        info["zimbraNotes"] = f"Компания «{spec.display}» — 東京支社 ✓"
        builder.account(info, stat)
        held[spec.mail] = populate_unicode(builder, rng, spec, [s.mail for s in UNICODE_ACCOUNTS if s != spec])
    _backupstat(builder, UNICODE_ACCOUNTS)
    add_server(builder, UNICODE_ACCOUNTS, ("default", "nobackup"), UNICODE_COS, UNICODE_MEMBERS)
    return held


SHAPES: dict[str, Callable[[StoreBuilder], dict[str, list[int]]]] = {
    "empty": empty,
    "no_items": no_items,
    "no_server": no_server,
    "no_deleted": no_deleted,
    "only_deleted": only_deleted,
    "archives_only": archives_only,
    "large_account": large_account,
    "unicode": unicode,
}


def notification_text(held: dict[str, list[int]]) -> str:
    """An Operation Completed report of a restore of the shape: two items of each account left behind
    (the first and the last it holds), plus one the backup never held."""
    unrestored = {mail: [*dict.fromkeys(ids[:1] + ids[-1:]), ABSENT_ITEM] for mail, ids in held.items()}
    total = sum(len(ids) for ids in held.values())
    left = sum(len(ids) for ids in unrestored.values())
    lines = ["Operation: ExternalRestore", "Operation ID: shape-restore", f"Server: {SERVER_NAME}",
             "Started: 03/03/2014 09:12:05", "Ended: 03/03/2014 09:57:41", "", "- stats -",
             f"Restored Items: {total - (left - len(held))}", "Skipped Items:  0", f"Unrestored Items: {left}", "",
             "- unrestored items -"]  # fmt: skip
    for mail, ids in unrestored.items():
        lines += [f"account: {mail}", "unrestored items: " + ",".join(map(str, ids)), ""]
    return "\n".join(lines) + "\n"


def make_shape(folder: str | Path, name: str) -> Path:
    """Write shape `name` (one of SHAPES) as `folder/backup`, and beside it the files of `write_siblings`;
    returns the backup path."""
    if name not in SHAPES:
        raise ZxError(f"unknown store shape {name!r}; shapes: {', '.join(SHAPES)}")
    target = Path(folder) / "backup"
    if target.exists() and any(target.iterdir()):
        raise FileExistsError(f"{target} is not empty: the generator only writes into a new folder")
    held = SHAPES[name](StoreBuilder(target))
    write_siblings(Path(folder), held)
    return target


def write_siblings(folder: Path, held: dict[str, list[int]]) -> None:
    """The files an investigator holds beside the shape: the restore's notification, the import map of its
    accounts (as text: `<source id> <destination id>`) and a saved getAllOperations output."""
    notes = folder / "notifications"
    notes.mkdir(parents=True, exist_ok=True)
    (notes / "restore_report.txt").write_bytes(notification_text(held).encode("utf-8"))
    ids = [AccountSpec(mail, "").account_id for mail in held]
    maps = folder / "maps"
    maps.mkdir()
    pairs = "".join(f"{source} {stable_id('imported:' + source)}\n" for source in ids)
    (maps / f"map_{stable_id('server:import-source')}").write_text(pairs, encoding="utf-8")
    write_operations(folder / "operations")
