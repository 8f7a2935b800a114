"""Meet a real backup: what of its format the kit understood, what it did not, and where files lie that
FORMAT.md does not describe.

    report = zx.probe(store)            # a seeded random sample of each kind of file
    print(report.verdict)               # "understood 99.7% of item metadata files; 3 unknown keys in ..."
    report.keys                         # every key seen: status, spelling, value shapes
    report.structure                    # the anonymised structure report (`report.to_json()`)

The probe lists folders and reads files through the store only. By default it reads a bounded random
sample of each kind (`sample=N`, seeded), so it ends in seconds on any store; `sample="all"` reads all.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import EvidenceError, InvalidArgument, ParseError
from ..format import layout
from ..format.archives import CONFIG_MEMBER, LDAP_MEMBER, parse_archive_name
from ..format.digest import is_digest
from ..format.keys import get_folded
from ..store.backup import investigation
from .probe_files import look_archive, look_blob, look_map, look_pairs
from .probe_kinds import KindStats, look_item, look_object
from .probe_report import ProbeReport, build_report

if TYPE_CHECKING:
    from ..store.backup import BackupStore

DEFAULT_SAMPLE = 200  # files read per kind unless `sample all`
ARCHIVES_PER_COMPONENT = 10  # server archives are large: at most this many per component, unless `sample all`
KINDS = ("backupstat", "account_info", "account_stat", "item metadata", "id_mapper.log", "map files",
         "server archives", "config.json", "ldap.ldif", "customizations", "blobs")  # fmt: skip
GATHER = 4  # files listed per file read: folders are listed in random order until the sample has this choice
FILE_TYPES = ("file", "link")  # a link inside the tree is read as its target (the evidence checks it)
FOLDER_TYPES = ("folder", "link")


def sample_size(sample: int | str | None) -> int | None:
    """`sample` as the probe takes it: a positive number of files per kind, or None for `all`."""
    if sample is None or (isinstance(sample, str) and sample.strip().lower() == "all"):
        return None
    try:
        size = int(sample)
    except (TypeError, ValueError):
        raise InvalidArgument(f"sample must be a number of files or `all`, not {sample!r}") from None
    if size < 1:
        raise InvalidArgument(f"sample must be at least 1, not {size}")
    return size


@investigation("probe")
def probe(store: BackupStore, sample: int | str | None = DEFAULT_SAMPLE, seed: int = 0) -> ProbeReport:
    """What the kit understood of a backup path, kind by kind (see the module's docstring)."""
    walk = Walk(store, sample_size(sample), seed)
    walk.run()
    return build_report(walk.kinds, walk.unexpected, walk.limit, seed, walk.secret())


class Walk:
    """One probe's walk: the listings, the sample chosen in them, and what was read."""

    def __init__(self, store: BackupStore, limit: int | None, seed: int) -> None:
        self.store = store
        self.limit = limit
        self.rng = random.Random(seed)
        self.kinds = {kind: KindStats(kind) for kind in KINDS}
        self.unexpected: list[tuple[str, str, str]] = []  # (path, type, why)
        self.account_ids: list[str] = []

    def secret(self) -> bytes:
        """Material only the store's holder has (its server id and account ids; else its path): the key of
        the report's hashes, the same for every probe of the store."""
        material = [str(get_folded(self.store.backupstat(), "serverid") or ""), *sorted(self.account_ids)]
        return "\n".join(material if any(material) else [str(self.store.root)]).encode()

    # -- helpers ----------------------------------------------------------------------------------------
    def choose(self, items: list, limit: int | None = None) -> list:
        """A seeded random sample of `items` (all of them under the limit), in their own order."""
        limit = self.limit if limit is None else limit
        if limit is None or len(items) <= limit:
            return list(items)
        keep = set(self.rng.sample(range(len(items)), limit))
        return [item for index, item in enumerate(items) if index in keep]

    def listing(self, rel: str) -> list[tuple[str, str]]:
        try:
            return self.store.listing(rel)
        except EvidenceError as exc:
            if exc.kind != "missing":
                self.unexpected.append((rel, "folder", f"cannot be listed ({exc.kind})"))
            return []

    def place(self, rel: str, kind: str, why: str) -> None:
        self.unexpected.append((rel, kind, why))

    def read(self, stats: KindStats, rel: str) -> bytes | None:
        stats.sampled += 1
        try:
            return self.store.read_file(rel)
        except EvidenceError as exc:
            stats.file(rel, "unreadable", f"{exc.kind}: {exc.detail}")
            return None

    def coverage(self, stats: KindStats, chosen: int, total: int, what: str) -> None:
        if chosen < total:
            stats.coverage = f"{chosen} of {total} {what} listed"

    def gather(self, folders: list, list_one: Callable[[object], list]) -> tuple[list, int]:
        """Files of folders listed in a seeded random order until there are GATHER times the sample to
        choose from (all folders without a limit); returns them and how many folders were listed."""
        order = list(folders)
        if self.limit is not None:
            self.rng.shuffle(order)
        found: list = []
        listed = 0
        for folder in order:
            if self.limit is not None and len(found) >= self.limit * GATHER:
                break
            found.extend(list_one(folder))
            listed += 1
        return found, listed

    # -- the walk ---------------------------------------------------------------------------------------
    def run(self) -> None:
        top = self.listing("")
        names = {name: kind for name, kind in top}
        for name, kind in top:
            expected = {layout.BACKUPSTAT: FILE_TYPES, layout.ACCOUNTS_DIR: FOLDER_TYPES,
                        layout.ITEMS_DIR: FOLDER_TYPES, layout.SERVER_DIR: FOLDER_TYPES}.get(name)  # fmt: skip
            if expected is None and name.startswith((layout.LOCK_PREFIX, layout.MAP_PREFIX)):
                expected = FILE_TYPES
            if expected is None or kind not in expected:
                self.place(name, kind, "not described by FORMAT.md §1")
        if names.get(layout.BACKUPSTAT) in FILE_TYPES:
            self.one_file("backupstat", layout.BACKUPSTAT)
        maps = [n for n, k in top if n.startswith(layout.MAP_PREFIX) and k in FILE_TYPES]
        self.kinds["map files"].found = len(maps)
        for name in self.choose(maps):
            data = self.read(self.kinds["map files"], name)
            if data is not None:
                look_map(self.kinds["map files"], name, data)
        if names.get(layout.ACCOUNTS_DIR) in FOLDER_TYPES:
            self.accounts()
        if names.get(layout.ITEMS_DIR) in FOLDER_TYPES:
            self.blobs()
        if names.get(layout.SERVER_DIR) in FOLDER_TYPES:
            self.server()

    def one_file(self, kind: str, rel: str) -> None:
        stats = self.kinds[kind]
        stats.found += 1
        data = self.read(stats, rel)
        if data is None:
            return
        if kind == "id_mapper.log":
            look_pairs(stats, rel, data)
        else:
            look_object(stats, rel, data)

    def accounts(self) -> None:
        folders, archives = [], []
        for name, kind in self.listing(layout.ACCOUNTS_DIR):
            rel = f"{layout.ACCOUNTS_DIR}/{name}"
            if kind in FOLDER_TYPES:
                folders.append(name)
                if not layout.ZIMBRA_ID_RE.match(name):
                    self.place(rel, kind, "an account folder whose name is not a zimbraId")
            elif kind == "file" and name.endswith(layout.ACCOUNT_ARCHIVE_SUFFIX):
                archives.append(name.removesuffix(layout.ACCOUNT_ARCHIVE_SUFFIX))
            else:
                self.place(rel, kind, "not an account folder nor an account archive (FORMAT.md §1)")
        self.account_ids = sorted(folders + archives)
        is_folder = set(folders)
        chosen = self.choose(self.account_ids)
        for kind in ("account_info", "account_stat", "id_mapper.log"):
            self.coverage(self.kinds[kind], len(chosen), len(self.account_ids), "accounts")
        nn_folders: list[tuple[str, str]] = []
        items: list[tuple[str, int, bytes | None]] = []
        for account_id in chosen:
            self.kinds["account_info"].form("stored as", "folder" if account_id in is_folder else "archive")
            if account_id in is_folder:
                self.account_folder(account_id, nn_folders)
            else:
                self.account_archive(account_id, items)
        self.item_files(nn_folders, items, len(chosen))

    def account_folder(self, account_id: str, nn_folders: list[tuple[str, str]]) -> None:
        base = f"{layout.ACCOUNTS_DIR}/{account_id}"
        for name, kind in self.listing(base):
            if name in layout.ACCOUNT_FILES and kind in FILE_TYPES:
                self.one_file(name, f"{base}/{name}")
            elif name not in layout.ACCOUNT_FOLDERS or kind not in FOLDER_TYPES:
                self.place(f"{base}/{name}", kind, "not described by FORMAT.md §3")
            elif name == layout.ITEMS_DIR:
                for nn, nn_kind in self.listing(f"{base}/{name}"):
                    if layout.NN_DIR_RE.match(nn) and nn_kind in FOLDER_TYPES:
                        nn_folders.append((account_id, nn))
                    else:
                        self.place(f"{base}/{name}/{nn}", nn_kind, "not an NN item folder (FORMAT.md §3)")

    def account_archive(self, account_id: str, items: list[tuple[str, int, bytes | None]]) -> None:
        """An S3-style account: its members stand where the folder's files would."""
        base = f"{layout.ACCOUNTS_DIR}/{account_id}{layout.ACCOUNT_ARCHIVE_SUFFIX}!"
        for name, data in sorted(self.store.account_archive(account_id).items()):
            parts = name.split("/")
            if name in layout.ACCOUNT_FILES:
                stats = self.kinds[name]
                stats.found += 1
                stats.sampled += 1
                (look_pairs if name == layout.ID_MAPPER_LOG else look_object)(stats, f"{base}/{name}", data)
            elif len(parts) == 3 and parts[0] == layout.ITEMS_DIR and layout.ITEM_FILE_RE.match(parts[2]):
                items.append((f"{base}/{name}", int(parts[2]), data))
            elif parts[0] != layout.DRIVE_ITEMS_DIR:
                self.place(f"{base}/{name}", "file", "not described by FORMAT.md §3")

    def item_files(self, nn_folders: list[tuple[str, str]], items: list, accounts: int) -> None:
        stats = self.kinds["item metadata"]
        listed, count = self.gather(nn_folders, self.item_folder)
        items.extend(listed)
        self.coverage(stats, count, len(nn_folders), f"item folders of {accounts} accounts")
        stats.found = len(items)
        for rel, item_id, data in self.choose(items):
            if data is None:
                data = self.read(stats, rel)
            else:
                stats.sampled += 1
            if data is not None:
                look_item(stats, rel, item_id, data)

    def item_folder(self, folder: tuple[str, str]) -> list[tuple[str, int, None]]:
        account_id, nn = folder
        base = f"{layout.ACCOUNTS_DIR}/{account_id}/{layout.ITEMS_DIR}/{nn}"
        files = []
        for name, kind in self.listing(base):
            if not layout.ITEM_FILE_RE.match(name):
                self.place(f"{base}/{name}", kind, "not an item file: its name is not an item id")
                continue
            if layout.nn_folder(int(name)) != nn:
                self.place(f"{base}/{name}", kind, "misplaced: an item file under another NN folder")
            files.append((f"{base}/{name}", int(name), None))
        return files

    def blobs(self) -> None:
        stats = self.kinds["blobs"]
        prefixes = []
        for name, kind in self.listing(layout.ITEMS_DIR):
            if kind in FOLDER_TYPES and len(name) == 2:
                prefixes.append(name)
            else:
                self.place(f"{layout.ITEMS_DIR}/{name}", kind, "not a blob prefix folder (FORMAT.md §2)")
        digests, count = self.gather(prefixes, self.blob_folder)
        self.coverage(stats, count, len(prefixes), "blob folders")
        stats.found = len(digests)
        for digest in self.choose(digests):
            stats.sampled += 1
            look_blob(stats, self.store, f"{layout.ITEMS_DIR}/{digest[:2]}/{digest}", digest)

    def blob_folder(self, prefix: str) -> list[str]:
        digests = []
        for name, kind in self.listing(f"{layout.ITEMS_DIR}/{prefix}"):
            rel = f"{layout.ITEMS_DIR}/{prefix}/{name}"
            if not is_digest(name):
                self.place(rel, kind, "not a blob: its name is not a digest (FORMAT.md §2)")
            elif name[:2] != prefix:
                self.place(rel, kind, "misplaced: a blob under another prefix folder")
            else:
                digests.append(name)
        return digests

    def server(self) -> None:
        by_component: dict[str, list[str]] = {}
        for name, kind in self.listing(layout.SERVER_DIR):
            rel = f"{layout.SERVER_DIR}/{name}"
            try:
                component, _moment = parse_archive_name(name, self.store.tz)
            except ParseError:
                component = None
            if component is None or kind not in FILE_TYPES:
                self.place(rel, kind, "not a server archive <component>_DD_MM_YY#hh_mm_ss.tar.gz (FORMAT.md §5)")
                continue
            by_component.setdefault(component, []).append(rel)
        stats = self.kinds["server archives"]
        stats.found = sum(len(rels) for rels in by_component.values())
        limit = None if self.limit is None else min(self.limit, ARCHIVES_PER_COMPONENT)
        for component, rels in sorted(by_component.items()):
            chosen = self.choose(rels, limit)
            payload = {"config": CONFIG_MEMBER, "ldap": LDAP_MEMBER}.get(component)
            for rel in chosen:
                stats.sampled += 1
                read = self.store.server.read(rel, want=lambda member, p=payload: member == p)
                look_archive(stats, self.kinds, component, rel, read)


__all__ = ["DEFAULT_SAMPLE", "ProbeReport", "probe", "sample_size"]
