"""doCheckShares and doFixShares, offline: shares between accounts, and what an import map rewrites.

A share is a grant in the owner's `zimbraSharedItem` and, for a user grantee, a `mountpoint` item
in the grantee's mailbox pointing at (`ownerId`, `remoteId`) (FORMAT.md §6). After an import onto
other servers, ids change; `map_*` and `id_mapper.log` say the new ones (FORMAT.md §7).
Deleted accounts and items count as missing: a purge will take them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..format import layout
from ..format.keys import SHARED_ITEM
from ..format.names import SYSTEM_FOLDERS
from ..parse import ParseError
from ..parse.grants import parse_grant
from ..store.backup import investigation
from ..store.frames import concat_states, folder_paths
from ..store.states import select_states

if TYPE_CHECKING:
    from ..store.backup import BackupStore

SHARE_COLUMNS = ["source", "status", "owner_id", "owner", "grantee_id", "grantee", "grantee_type", "folder_id",
                 "folder_path", "rights", "mountpoint_id", "mountpoint", "detail"]  # fmt: skip
SHARE_STATUSES = ("ok", "grantee_missing", "owner_missing", "folder_missing", "mountpoint_dangling",
                  "grant_without_mountpoint")  # fmt: skip
# The columns a person reads first (the CLI's doCheckShares, the audit notebook); the ids stay in the frame.
SHARE_SHOWN = ["source", "status", "owner", "grantee", "folder_id", "folder_path", "mountpoint_id", "detail"]
PLAN_COLUMNS = ["source", "account_id", "account", "mountpoint_id", "folder_id", "field", "old", "new", "status"]
FOLDER_TYPES = ("folder", "searchfolder")
MOUNT_COLUMNS = ["account_id", "item_id", "owner_id", "remote_id", "name"]  # what the checks read of a mountpoint


class _View:
    """The store's current accounts, folders, mountpoints and grants, for status checks."""

    def __init__(self, store: BackupStore) -> None:
        accounts = store.accounts()
        alive = accounts[~accounts["deleted"].astype(bool)]
        self.names = {str(a).lower(): str(n) for a, n in zip(accounts["account_id"], accounts["name"], strict=True)}
        self.alive = {str(a).lower() for a in alive["account_id"]}
        self.paths: dict[tuple[str, int], str] = {}
        self.folders: set[tuple[str, int]] = set()
        mounts = []
        for batch in store.state_batches():  # a batch holds whole accounts: their folder trees are whole
            last = select_states(batch, "last")
            last = last[~last["deleted"]]
            self.paths.update(folder_paths(last))
            folders = last[last["type"].isin(FOLDER_TYPES)]
            self.folders.update(zip(folders["account_id"].astype(str).str.lower(), folders["item_id"], strict=True))
            # kept across batches: the columns the checks read (a digest or path category keeps its batch's)
            mounts.append(last.loc[last["type"] == "mountpoint", MOUNT_COLUMNS])
            del batch, last, folders
        self.mounts = concat_states(mounts)
        self.grants = grants(store, accounts["account_id"].astype(str))
        self.moved = as_mapping(import_map(store))  # old id -> new id, from the backup's own import maps
        self.by_name = {str(n).lower(): str(a) for a, n in zip(alive["account_id"], alive["name"], strict=True)}

    def moved_to(self, account_id: str | None, name: str | None = None) -> str | None:
        """The id in this backup of an account a share names by an id it does not hold: through the
        import map, else by the address the grant names (None when neither finds it)."""
        new = self.moved.get(str(account_id).lower())
        if new and new.lower() in self.alive:
            return new
        return self.by_name.get(str(name).lower()) if name else None

    def missing(self, role: str, account_id: str | None, name: str | None = None) -> str:
        """Why a share's `role` (grantee, owner) is missing, without contradicting the accounts table: an
        account the table lists as deleted is said deleted, not absent; one whose id changed is named."""
        new, known = self.moved_to(account_id, name), self.name(account_id)
        if new is None and known is not None:
            return f"{role} {known} ({account_id}) is a deleted account of the backup: a purge will remove it"
        if new is None:
            return f"{role} {account_id}" + (f" ({name})" if name else "") + " is not in the backup"
        return (f"{role} id {account_id} is not in the backup, but {self.name(new)} is, as {new}: "
                "its id changed in an import (doFixShares would rewrite it)")

    def name(self, account_id: str | None) -> str | None:
        return self.names.get(str(account_id).lower()) if account_id else None

    def shown_name(self, account_id: str | None, name: str | None = None) -> str | None:
        """The address the accounts table gives the account: by its id, else by the id an import gave it,
        else the address the share names."""
        return self.name(account_id) or self.name(self.moved_to(account_id, name)) or name

    def has_folder(self, account_id: str, folder_id: int) -> bool:
        return (account_id.lower(), folder_id) in self.folders or (folder_id in SYSTEM_FOLDERS and folder_id > 1)

    def path(self, account_id: str, folder_id: int) -> str | None:
        found = self.paths.get((account_id, folder_id)) or self.paths.get((account_id.lower(), folder_id))
        return found or (f"/{SYSTEM_FOLDERS[folder_id]}" if SYSTEM_FOLDERS.get(folder_id) else None)


def grants(store: BackupStore, account_ids) -> list[dict]:
    """Every grant of `zimbraSharedItem`, with its owner; an unparsable value becomes an errors row."""
    found = []
    for account_id in account_ids:
        values = store.info_attribute(account_id, SHARED_ITEM) or []
        for value in values if isinstance(values, list) else [values]:
            try:
                grant = parse_grant(value)
            except ParseError as exc:
                store.record_error(exc, f"{layout.ACCOUNTS_DIR}/{account_id}/{layout.ACCOUNT_INFO}", account_id)
                continue
            found.append({"owner_id": account_id, **grant})
    return found


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def grant_row(view: _View, grant: dict) -> dict:
    owner, grantee = grant["owner_id"], grant.get("granteeId") or None
    kind, folder = grant.get("granteeType", "usr"), _int(grant.get("folderId"))
    has_mount = ((view.mounts["account_id"].astype(str).str.lower() == str(grantee).lower())
                 & (view.mounts["owner_id"].astype(str).str.lower() == owner.lower())
                 & (view.mounts["remote_id"] == folder)).any()  # fmt: skip
    if kind == "usr" and str(grantee).lower() not in view.alive:
        status, detail = "grantee_missing", view.missing("grantee", grantee, grant.get("granteeName"))
    elif folder is None or not view.has_folder(owner, folder):
        status, detail = "folder_missing", f"folder {grant.get('folderId')} of the owner is gone"
    elif kind == "usr" and not has_mount:
        status, detail = "grant_without_mountpoint", "the grantee holds no mountpoint for it"
    else:
        status, detail = "ok", ""
    return {"source": "grant", "status": status, "owner_id": owner, "owner": view.shown_name(owner),
            "grantee_id": grantee, "grantee": view.shown_name(grantee, grant.get("granteeName")),
            "grantee_type": kind, "folder_id": folder,
            "folder_path": grant.get("folderPath") or view.path(owner, folder or 0), "rights": grant.get("rights"),
            "mountpoint_id": None, "mountpoint": None, "detail": detail}  # fmt: skip


def mount_row(view: _View, mount) -> dict:
    holder, owner = str(mount.account_id), (None if pd.isna(mount.owner_id) else str(mount.owner_id))
    remote = None if pd.isna(mount.remote_id) else int(mount.remote_id)
    granted = any(g["owner_id"].lower() == str(owner).lower() and _int(g.get("folderId")) == remote
                  and (g.get("granteeType", "usr") != "usr" or str(g.get("granteeId")).lower() == holder.lower())
                  for g in view.grants)  # fmt: skip
    if owner is None or owner.lower() not in view.alive:
        status, detail = "owner_missing", view.missing("owner", owner)
    elif remote is None or not view.has_folder(owner, remote):
        status, detail = "folder_missing", f"the owner's folder {remote} is gone"
    elif not granted:
        status, detail = "mountpoint_dangling", "the owner grants no share of that folder to this account"
    else:
        status, detail = "ok", ""
    return {"source": "mountpoint", "status": status, "owner_id": owner, "owner": view.shown_name(owner),
            "grantee_id": holder, "grantee": view.name(holder), "grantee_type": "usr", "folder_id": remote,
            "folder_path": view.path(owner, remote) if owner and remote is not None else None, "rights": None,
            "mountpoint_id": int(mount.item_id), "mountpoint": None if pd.isna(mount.name) else str(mount.name),
            "detail": detail}  # fmt: skip


@investigation("shares")
def shares(store: BackupStore) -> pd.DataFrame:
    """One row per grant and per mountpoint: SHARE_COLUMNS, `status` one of SHARE_STATUSES."""
    view = _View(store)
    rows = [grant_row(view, g) for g in view.grants]
    rows += [mount_row(view, m) for m in view.mounts.itertuples(index=False)]
    df = pd.DataFrame.from_records(rows, columns=SHARE_COLUMNS)
    for column in ("folder_id", "mountpoint_id"):
        df[column] = df[column].astype("Int64")
    df["status"] = pd.Categorical(df["status"], categories=SHARE_STATUSES)
    return df.sort_values(["source", "owner", "folder_id", "grantee"], ignore_index=True)


def id_maps(store: BackupStore) -> pd.DataFrame:
    """Every account's `id_mapper.log`: `account_id, source_id, restored_id`."""
    frames = []
    for account_id in store.accounts()["account_id"].astype(str):
        frame = store.id_mapper(account_id)
        if frame is not None:
            frames.append(frame.assign(account_id=account_id))
    if not frames:
        return pd.DataFrame({"account_id": [], "source_id": [], "restored_id": []}).astype({"source_id": "Int64"})
    return pd.concat(frames, ignore_index=True)[["account_id", "source_id", "restored_id"]]


def import_map(store: BackupStore) -> pd.DataFrame:
    """The backup's own import maps (`map_*` files) as one frame: `source, destination, file`."""
    maps = [frame.assign(file=rel) for rel, frame in store.import_maps().items()]
    if not maps:
        return pd.DataFrame({"source": [], "destination": [], "file": []}, dtype=str)
    return pd.concat(maps, ignore_index=True)


def as_mapping(mapping: pd.DataFrame | dict) -> dict[str, str]:
    """A map as `zx.read_map` gives it (`source, destination`), or a dict -> {source: destination}."""
    if isinstance(mapping, dict):
        return {str(k).lower(): str(v) for k, v in mapping.items()}
    if not isinstance(mapping, pd.DataFrame):
        raise TypeError(f"a map is a frame from zx.read_map or a dict, not {type(mapping).__name__}")
    return {str(s).lower(): str(d) for s, d in zip(mapping["source"], mapping["destination"], strict=True)}


def fix_shares_plan(
    store: BackupStore, mapping: pd.DataFrame | dict | None = None, items: pd.DataFrame | None = None
) -> pd.DataFrame:
    """doFixShares, planned only: each grant and mountpoint field the map (account ids; default the
    backup's own `map_*` files) and the accounts' `id_mapper.log` (item ids) would rewrite.
    PLAN_COLUMNS; nothing is changed."""
    accounts = as_mapping(import_map(store) if mapping is None else mapping)
    items = id_maps(store) if items is None else items
    by_account = {(str(a).lower(), int(s)): int(r)
                  for a, s, r in zip(items["account_id"], items["source_id"], items["restored_id"], strict=True)}
    plan = []
    for row in shares(store).itertuples(index=False):
        holder = row.owner_id if row.source == "grant" else row.grantee_id
        base = {"source": row.source, "account_id": holder, "account": store.account_name(holder),
                "mountpoint_id": row.mountpoint_id, "folder_id": row.folder_id, "status": row.status}  # fmt: skip
        moved = row.grantee_id if row.source == "grant" else row.owner_id
        field = "granteeId" if row.source == "grant" else "ownerId"
        if isinstance(moved, str) and moved.lower() in accounts:
            plan.append({**base, "field": field, "old": moved, "new": accounts[moved.lower()]})
        owner = accounts.get(str(row.owner_id).lower(), row.owner_id)
        folder = None if pd.isna(row.folder_id) else int(row.folder_id)
        new_folder = by_account.get((str(owner).lower(), folder)) if folder is not None else None
        if new_folder is not None and new_folder != folder:
            name = "folderId" if row.source == "grant" else "remoteId"
            plan.append({**base, "field": name, "old": str(folder), "new": str(new_folder)})
    df = pd.DataFrame.from_records(plan, columns=PLAN_COLUMNS)
    df["mountpoint_id"] = df["mountpoint_id"].astype("Int64")
    df["folder_id"] = df["folder_id"].astype("Int64")
    return df
