"""A mailbox as it was at a date, handed over as Maildir++, mbox or `.eml` files, with a manifest.

Each item's state at the date is the vendor's (`store.items(date)`), and so is the folder tree:
folder names and parents come from the folders' states at that date, so a folder renamed later
keeps its old name. Every name from the backup becomes a path component only through `safe_name`
(one folder per component, case-folded siblings kept apart, a fallback `folder-<id>`); each blob
is verified by its digest before it is written, and read back after. What cannot be exported is
a row of `store.errors`, and the export goes on.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from ..errors import ErrorRecord, EvidenceError, InvalidArgument, OutputError
from ..format import layout
from ..format.flags import as_bits, maildir_info_flags, mbox_status
from ..format.names import USER_ROOT_FOLDER_ID
from ..output import OutputDir, safe_name
from ..runtime.progress import progress_bar
from ..store.backup import as_list, investigation
from ..store.frames import FOLDER_TYPES, folder_chains
from ..store.states import is_all
from ..version import __version__
from .extract import account_folder, eml_parts
from .mail_writers import WRITERS, Mail, check_tree

EXPORT_FORMATS = tuple(WRITERS)
MAIL_TYPES = ("message", "chat")  # what a Maildir or an mbox holds; `eml` takes every blob-backed item
DELETED_FOLDER = "Deleted in backup"
MAX_FOLDER_DEPTH = 32  # deeper folders are written flat, as `folder-<id>`
MAX_BOX_NAME = 200  # bytes of a Maildir++ folder or mbox file name (a component holds 255)
MANIFEST_CSV, MANIFEST_JSON = "manifest.csv", "manifest.json"
MANIFEST_COLUMNS = [
    "account", "account_id", "item_id", "transaction_id", "type", "start_date", "deleted", "folder", "flags",
    "mail_flags", "written_path", "sha256", "size", "digest", "verified",
]  # fmt: skip
NOT_EXPORTED = "not exported"  # how the errors rows of an export begin
_EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,10})$")


class FolderNames:
    """Safe output names of an account's folders: one component per folder (made once, by id, siblings
    compared case-folded), `.`-joined for Maildir++ and mbox (a `.` in a name becomes `_`)."""

    def __init__(self, chains: dict[int, list[tuple[int, str]]], dotted: bool) -> None:
        self.chains, self.dotted = chains, dotted
        self.names: dict[int, str] = {}
        self.taken: dict[int | None, set[str]] = {None: {DELETED_FOLDER.casefold()}}
        for folder_id in sorted(chains):  # names claimed in id order: the same on every run
            self.parts(folder_id)

    def parts(self, folder_id: int) -> tuple[str, ...]:
        if folder_id == USER_ROOT_FOLDER_ID:
            return ()
        chain = self.chains.get(folder_id) or [(folder_id, "")]
        if len(chain) > MAX_FOLDER_DEPTH:
            chain = [(folder_id, "")]
        parts, parent = [], None
        for current, name in chain:
            if current not in self.names:
                text = name.replace(".", "_") if self.dotted else name
                self.names[current] = safe_name(text, f"folder-{current}", self.taken.setdefault(parent, set()))
            parts.append(self.names[current])
            parent = current
        return tuple(parts)

    def box(self, folder_id: int) -> str:
        """The Maildir++ folder (without its dot) or mbox file stem; "" for the top folder."""
        name = ".".join(self.parts(folder_id))
        return name if len(name.encode("utf-8")) <= MAX_BOX_NAME else f"folder-{folder_id}"


@investigation("export_mailbox")
def export_mailbox(
    store,
    account: str,
    out_dir: str | os.PathLike,
    date: object = "last",
    format: str = "maildir",
    include_deleted: bool = False,
    folders: list[str] | str | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Write `account`'s mailbox as it was at `date` to `out_dir` (a new or empty folder), as `maildir`,
    `mbox` or `eml`; items deleted by then go to `Deleted in backup` when `include_deleted`. `folders`
    keeps those folders and their subfolders. Returns the manifest (MANIFEST_COLUMNS), also written as
    `manifest.csv` and `manifest.json` beside the mailbox."""
    if format not in WRITERS:
        raise InvalidArgument(f"format must be one of {'|'.join(EXPORT_FORMATS)}, not {format!r}")
    if is_all(date):
        raise InvalidArgument("date all has no single state per item: give last or a date")
    account_id = store.resolve_account(account)
    out = OutputDir(new_output(out_dir), [store.root])
    states = store.items(date, [account_id])
    names = FolderNames({fid: chain for (_a, fid), chain in folder_chains(states).items()}, format != "eml")
    mails = selected(store, states, format, include_deleted, folders, names)
    top = account_folder(store, account_id)
    writer = WRITERS[format](out, top)
    for folder_id in tree(states, mails, folders, names):
        writer.make(names.parts(folder_id), names.box(folder_id))
    rows, errors = [], []
    with progress_bar(len(mails), "exporting", "mail", show=progress) as bar:
        for state in mails.itertuples(index=False):
            row = export_one(store, writer, state, names, format)
            (rows if "written_path" in row else errors).append(row)
            bar.update(1)
    store.record_errors(errors)
    writer.close()
    check_tree(out.root)
    manifest = pd.DataFrame(rows, columns=MANIFEST_COLUMNS)
    header = {"account": store.account_name(account_id), "account_id": account_id, "date": str(date),
              "format": format, "include_deleted": include_deleted, "folders": as_list(folders or []),
              "backup_path": str(store.root), "exported_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
              "zxforensics": __version__, "messages": len(manifest),
              "errors": errors}  # fmt: skip
    write_manifest(out, manifest, header)
    return manifest


def export_errors(store, account: str) -> pd.DataFrame:
    """The errors rows of the items of `account` that an export could not write."""
    errors = store.errors
    mine = (errors["account_id"] == store.resolve_account(account)) & errors["detail"].str.startswith(NOT_EXPORTED)
    return errors[mine].reset_index(drop=True)


def new_export_folder(parent: str | os.PathLike, account: str, date: object, format: str) -> Path:
    """A folder under `parent` no export used yet: `<account>-<date>-<format>`, then `-2`, `-3`... (the
    name is made safe: a date holds `/` and `:`)."""
    stem = re.sub(r"[^\w@.+-]+", "_", f"{account}-{date}-{format}").strip("._") or "export"
    stem = safe_name(stem[:180], "export")
    for n in range(1, 10_000):
        candidate = Path(parent) / (stem if n == 1 else f"{stem}-{n}")
        if not os.path.lexists(candidate):
            return candidate
    raise OutputError(f"no free export folder under {parent}")


def new_output(out_dir: str | os.PathLike) -> Path:
    """`out_dir` when it does not exist or is an empty folder: an export never mixes with other files."""
    path = Path(out_dir)
    if os.path.lexists(path) and (not path.is_dir() or any(os.scandir(path))):
        raise OutputError(f"refusing an existing output {path}: give a new or empty folder")
    return path


def selected(store, states: pd.DataFrame, format: str, include_deleted: bool, folders, names: FolderNames):
    """The states to write, with their digest (a deleted state without one keeps its item's last one)
    and their folder path at the date: mails, and for `eml` every item that has a blob."""
    chosen = states[~states["type"].isin((*FOLDER_TYPES, "tag"))]
    if not include_deleted:
        chosen = chosen[~chosen["deleted"]]
    chosen = chosen.copy()
    if chosen["deleted"].any():
        history = store.item_states(list(chosen["account_id"].astype(str).unique()))
        history = history.assign(digest=history.groupby("item_id", observed=True)["digest"].ffill())
        found = history.set_index(["item_id", "transaction_id"])["digest"]
        keys = zip(chosen["item_id"], chosen["transaction_id"], strict=True)
        chosen["digest"] = [found.get(k) if pd.isna(d) else d for k, d in zip(keys, chosen["digest"], strict=True)]
    keep = chosen["type"].isin(MAIL_TYPES)
    if format == "eml":
        keep |= chosen["digest"].notna()
    chosen = chosen[keep]
    chosen["folder"] = [path_of(names, f) for f in chosen["folder_id"]]
    if folders:
        chosen = chosen[[under(path, folders) for path in chosen["folder"]]]
    return chosen.sort_values(["deleted", "folder_id", "item_id"], kind="stable")


def under(path: str, folders) -> bool:
    """Whether a folder path is one of `folders` or below one (compared case-folded, as Zimbra does)."""
    path = path.casefold()
    wanted = [f.strip().rstrip("/").casefold() for f in as_list(folders)]
    return any(path == w or path.startswith(w + "/") for w in wanted)


def path_of(names: FolderNames, folder_id) -> str:
    """A folder's path at the date, as the backup names it (`/Inbox/Projects`)."""
    if pd.isna(folder_id):
        return "/"
    chain = names.chains.get(int(folder_id)) or [(int(folder_id), f"<folder {int(folder_id)}>")]
    return "/" + "/".join(name for _id, name in chain if name)


def tree(states: pd.DataFrame, mails: pd.DataFrame, folders, names: FolderNames) -> list[int]:
    """The folders to make, empty ones included: every folder item alive at the date (under `folders`
    when given) and every folder that receives a message."""
    alive = states.loc[(states["type"] == "folder") & ~states["deleted"], "item_id"].astype(int)
    keep = [f for f in alive if not folders or under(path_of(names, f), folders)]
    used = mails.loc[~mails["deleted"], "folder_id"].dropna().astype(int)
    return sorted(set(keep) | set(used))


def export_one(store, writer, state, names: FolderNames, format: str) -> dict:
    """Write one state's blob, verified by its digest: its manifest row, or the errors row of why not."""
    account_id, item_id = str(state.account_id), int(state.item_id)
    digest = state.digest
    if not isinstance(digest, str) or not digest:
        rel = layout.item_relpath(account_id, item_id)
        return ErrorRecord(rel, "missing", f"{NOT_EXPORTED}: the state has no blob", account_id, item_id).as_dict()
    try:
        raw, _layers = store.read_blob_checked(digest)
    except EvidenceError as exc:
        return ErrorRecord(exc.path, exc.kind, f"{NOT_EXPORTED}: {exc.detail}", account_id, item_id).as_dict()
    folder_id = int(state.folder_id) if not pd.isna(state.folder_id) else 1
    when = next((t.timestamp() for t in (state.date, state.start_date) if not pd.isna(t)), 0.0)
    folder, file_name = file_target(state, names, folder_id)
    mail = Mail(raw, as_bits(state.flags), when, folder,
                DELETED_FOLDER if state.deleted else names.box(folder_id), file_name)
    path, verified = writer.add(mail)
    flags = {"maildir": maildir_info_flags, "mbox": lambda f: " ".join(mbox_status(f))}.get(format, str)(state.flags)
    return {"account": store.account_name(account_id), "account_id": account_id, "item_id": item_id,
            "transaction_id": int(state.transaction_id), "type": str(state.type), "start_date": state.start_date,
            "deleted": bool(state.deleted), "folder": state.folder, "flags": as_bits(state.flags),
            "mail_flags": flags, "written_path": str(path), "sha256": hashlib.sha256(raw).hexdigest(), "size": len(raw),
            "digest": digest, "verified": verified}  # fmt: skip


def file_target(state, names: FolderNames, folder_id: int) -> tuple[tuple[str, ...], str]:
    """The eml folder and file name: `<item>-<start>.eml`, or the document's own extension."""
    folder = (DELETED_FOLDER,) if state.deleted else names.parts(folder_id)
    _top, file_name = eml_parts("", int(state.item_id), state.start_date)
    if state.type == "document":
        found = _EXTENSION.search(state.name) if isinstance(state.name, str) else None
        file_name = file_name[: -len(".eml")] + (f".{found.group(1)}" if found else ".bin")
    return folder, file_name


def write_manifest(out: OutputDir, manifest: pd.DataFrame, header: dict) -> None:
    """`manifest.csv` (one row per message) and `manifest.json` (the export's parameters, its rows and
    the errors it met)."""
    out.write_text(MANIFEST_CSV, text=manifest.to_csv(index=False))
    records = json.loads(manifest.to_json(orient="records", date_format="iso"))
    header = {**header, "errors": json.loads(pd.DataFrame(header["errors"]).to_json(orient="records"))}
    out.write_text(MANIFEST_JSON, text=json.dumps({**header, "items": records}, indent=2, ensure_ascii=False))
