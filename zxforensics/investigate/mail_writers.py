"""Writers of an exported mailbox: Maildir++ and mbox through Python's `mailbox` module, `.eml` files
through `OutputDir`, each keeping a message's bytes as the backup holds them.

`mailbox` writes by path, so each writer works in a folder `OutputDir` made new (no link followed,
never inside the evidence), and `check_tree` walks the result afterwards: nothing but folders and
regular files with one link each. Python's `Mailbox._dump_message` regenerates a parsed message
(line ends and header folding change); the Maildir here writes the stored bytes instead, and mbox
messages are handed over as bytes (mbox only adds its From_ line, Status lines and `>From` quoting).
"""

from __future__ import annotations

import mailbox
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import OutputError
from ..format.flags import maildir_info_flags, mbox_status
from ..output import OutputDir

_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


@dataclass(frozen=True)
class Mail:
    """One message to write: its bytes and flags, its date (epoch seconds), and where it goes."""

    raw: bytes
    flags: int
    when: float
    folder: tuple[str, ...]  # safe components (eml) ...
    box: str  # ... or the Maildir++ / mbox name they make ("" = the Maildir's top)
    file_name: str  # eml only


def read_back(path: Path) -> bytes:
    """A file the export wrote, read without following a link."""
    fd = os.open(path, _READ_FLAGS)
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


class _RawMaildirMessage(mailbox.MaildirMessage):
    """A MaildirMessage that carries the stored bytes; nothing is parsed."""

    def __init__(self, raw: bytes, info_flags: str, when: float) -> None:
        super().__init__()
        self.raw = raw
        self.set_subdir("cur")
        self.set_flags(info_flags)
        self.set_date(when)


class _ExactMaildir(mailbox.Maildir):
    """mailbox.Maildir writing a message's stored bytes (its file name, info flags and mtime as usual)."""

    def _dump_message(self, message, target, mangle_from_=False):
        if not isinstance(message, _RawMaildirMessage):
            raise TypeError("this Maildir only writes stored messages")
        target.write(message.raw)


class MaildirWriter:
    """Maildir++: the top folder holds `cur/new/tmp`; `/Inbox/Projects` is `.Inbox.Projects`."""

    def __init__(self, out: OutputDir, top: str) -> None:
        self.root = out.make_folder(top)
        for sub in ("cur", "new", "tmp"):  # Maildir(create=True) makes them only with the folder itself
            out.make_folder(top, sub)
        self.boxes: dict[str, _ExactMaildir] = {"": _ExactMaildir(self.root, create=False)}

    def make(self, _parts: tuple[str, ...], box: str) -> None:
        self.folder(box)

    def folder(self, box: str) -> _ExactMaildir:
        if box not in self.boxes:
            self.boxes[""].add_folder(box)
            self.boxes[box] = _ExactMaildir(self.root / f".{box}", create=False)
        return self.boxes[box]

    def add(self, mail: Mail) -> tuple[Path, bool]:
        folder = self.folder(mail.box)
        message = _RawMaildirMessage(mail.raw, maildir_info_flags(mail.flags), mail.when)
        key = folder.add(message)
        path = self.root / (f".{mail.box}" if mail.box else "") / "cur" / f"{key}{folder.colon}{message.get_info()}"
        return path, read_back(path) == mail.raw

    def close(self) -> None:
        self.boxes.clear()


def mbox_bytes(raw: bytes, flags: int) -> bytes:
    """The message as its mbox entry stores it: `Status`/`X-Status` first (a reader takes the first
    one), in the message's own line end."""
    eol = b"\r\n" if raw.split(b"\n", 1)[0].endswith(b"\r") else b"\n"
    status, xstatus = mbox_status(flags)
    head = b"Status: " + status.encode() + eol + (b"X-Status: " + xstatus.encode() + eol if xstatus else b"")
    return head + raw


class MboxWriter:
    """One mbox file per folder, `<box>.mbox`, each written by `mailbox.mbox` in turn."""

    def __init__(self, out: OutputDir, top: str) -> None:
        self.out, self.top = out, top
        self.root = out.make_folder(top)
        self.open_box: tuple[str, mailbox.mbox] | None = None

    def make(self, _parts: tuple[str, ...], box: str) -> str:
        name = f"{box or 'folder-1'}.mbox"
        if not self.out.exists(self.top, name):
            self.out.write_bytes(self.top, name, data=b"")  # made here, so mailbox opens no link
        return name

    def folder(self, box: str) -> mailbox.mbox:
        if self.open_box is not None and self.open_box[0] == box:
            return self.open_box[1]
        self.close()
        self.open_box = (box, mailbox.mbox(self.root / self.make((), box), create=False))
        return self.open_box[1]

    def add(self, mail: Mail) -> tuple[Path, bool]:
        folder = self.folder(mail.box)
        stored = mbox_bytes(mail.raw, mail.flags)
        from_line = b"From MAILER-DAEMON " + time.asctime(time.gmtime(mail.when)).encode() + b"\n"
        key = folder.add(from_line + stored)
        expected = stored.replace(b"\nFrom ", b"\n>From ")
        expected += b"" if expected.endswith(b"\n") else b"\n"
        return self.root / f"{mail.box or 'folder-1'}.mbox", folder.get_bytes(key) == expected

    def close(self) -> None:
        if self.open_box is not None:
            self.open_box[1].close()
            self.open_box = None


class EmlWriter:
    """One file per item under the folder tree: `Inbox/Projects/<item>-<start>.eml`."""

    def __init__(self, out: OutputDir, top: str) -> None:
        self.out, self.top = out, top
        out.make_folder(top)

    def make(self, parts: tuple[str, ...], _box: str) -> None:
        self.out.make_folder(self.top, *parts)

    def add(self, mail: Mail) -> tuple[Path, bool]:
        path = self.out.write_bytes(self.top, *mail.folder, mail.file_name, data=mail.raw)
        return path, read_back(path) == mail.raw

    def close(self) -> None:
        pass


WRITERS = {"maildir": MaildirWriter, "mbox": MboxWriter, "eml": EmlWriter}


def check_tree(root: Path) -> int:
    """The files under `root`, refusing any link, special file or file with another hard link (the
    `mailbox` module wrote by path: this proves nothing went astray); returns how many files."""
    files = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            info = os.lstat(os.path.join(dirpath, name))
            if stat.S_ISDIR(info.st_mode):
                continue
            if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
                what = "a link" if stat.S_ISLNK(info.st_mode) else "not a plain file"
                raise OutputError(f"the export holds {what}: {os.path.join(dirpath, name)}")
            files += 1
    return files
