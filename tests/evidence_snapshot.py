"""A fingerprint of a tree: every entry's type, mode, size, mtime, atime (files), link target and SHA-256.

Used to prove that nothing the kit does writes, moves, renames or touches the evidence.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from zxforensics.evidence.files import open_readonly, read_fd


def snapshot(root: Path) -> dict[str, tuple]:
    """Fingerprint of every entry below `root`; files are read with O_NOATIME so that
    taking the snapshot does not itself move access times."""
    return dict(snapshot_entries(root))


def snapshot_entries(root: Path):
    """(relative path, fingerprint) of every entry, links not followed."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in sorted(dirnames + filenames):
            path = Path(dirpath) / name
            info = os.lstat(path)
            rel = str(path.relative_to(root))
            if stat.S_ISLNK(info.st_mode):
                yield rel, ("link", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                yield rel, ("dir", info.st_mode, info.st_mtime_ns)
            elif stat.S_ISREG(info.st_mode):
                fd = open_readonly(path, follow=False)
                try:
                    digest = hashlib.sha256(read_fd(fd, 1 << 30, rel)).hexdigest()
                finally:
                    os.close(fd)
                yield rel, ("file", info.st_mode, info.st_size, info.st_mtime_ns, info.st_atime_ns, digest)
            else:
                yield rel, ("other", info.st_mode)


def read_evidence(path: Path) -> bytes:
    """A test's own read of an evidence file: O_NOATIME, so the test leaves no trace either."""
    fd = open_readonly(path)
    try:
        return read_fd(fd, 1 << 30, str(path))
    finally:
        os.close(fd)
