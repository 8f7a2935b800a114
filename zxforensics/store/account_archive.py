"""S3-style account archives: `accounts/<zimbraId>.tar.gz` holding the account's folder tree.

Read in place through `archives` (never extracted); each item file then takes the same
parse as a file of an account folder. Paths inside an archive are written `archive!/member`.
"""

from __future__ import annotations

from functools import lru_cache

from ..errors import EvidenceError
from ..evidence.files import Evidence
from ..evidence.tar import read_archive
from ..format import layout
from ..parse.items import item_id_of
from .headers import account_header

MEMBER_SEP = "!/"


def archive_rel(account_id: str) -> str:
    return f"{layout.ACCOUNTS_DIR}/{account_id}{layout.ACCOUNT_ARCHIVE_SUFFIX}"


def account_members(ev: Evidence, account_id: str, errors: list[dict]) -> dict[str, bytes]:
    """Member name (relative to the account folder) -> bytes; refusals and damage become errors."""
    members, rows = _read_account_archive(str(ev.root), ev.max_file_size, account_id)
    errors.extend(dict(row) for row in rows)
    return members


@lru_cache(maxsize=1)  # the header, then the items of the same account: one read of the archive
def _read_account_archive(root: str, max_file_size: int, account_id: str) -> tuple[dict[str, bytes], tuple]:
    read = read_archive(Evidence(root, max_file_size), archive_rel(account_id))
    rows = tuple({**row, "account_id": account_id} for row in read.errors)
    members: dict[str, bytes] = {}
    for member in read.members:
        name = member.name.removeprefix("./").removeprefix(f"{account_id}/")
        members[name] = member.data or b""
    return members, rows


def archive_header(ev: Evidence, account_id: str, errors: list[dict]) -> dict:
    """The accounts() row of an archived account."""
    members = account_members(ev, account_id, errors)
    prefix = f"{layout.ACCOUNTS_DIR}/{account_id}/"

    def read(rel: str) -> bytes:
        name = rel.removeprefix(prefix)
        if name not in members:
            raise EvidenceError("missing", "not in the account archive", archive_rel(account_id) + MEMBER_SEP + name)
        return members[name]

    row = account_header(account_id, str(ev.root / archive_rel(account_id)), prefix.rstrip("/"), read, errors)
    row["item_count"] = sum(1 for name in members if _item_name(name))
    return row


def _item_name(name: str) -> tuple[str, int] | None:
    parts = name.split("/")
    is_item = len(parts) == 3 and parts[0] == layout.ITEMS_DIR and layout.NN_DIR_RE.match(parts[1])
    item_id = item_id_of(parts[2]) if is_item else None
    return None if item_id is None else (parts[1], item_id)


def archive_item_files(ev: Evidence, account_id: str, errors: list[dict]) -> list[tuple[str, int, str, bytes]]:
    """(path, item id, NN folder, bytes) of every item file in an account archive."""
    files = []
    for name, data in account_members(ev, account_id, errors).items():
        parsed = _item_name(name)
        if parsed is not None:
            files.append((archive_rel(account_id) + MEMBER_SEP + name, parsed[1], parsed[0], data))
    return sorted(files, key=lambda f: f[1])
