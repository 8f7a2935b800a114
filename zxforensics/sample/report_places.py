"""Files and folders in the places a structure report met them outside FORMAT.md's layout, made again:
each path shape (`accounts/<zimbraId>/items/<NN>/<item id>`, `<name len=6 h:...>`) becomes a real path of
the same shape, with content where the place needs it (a misplaced item file is a valid one)."""

from __future__ import annotations

import os
import string

import orjson

from ..format import digest as vdigest
from ..format import layout
from .builder import StoreBuilder, gzip_bytes
from .report_values import raw_key

MAX_PLACES = 3  # copies made of each unexpected place, whatever its count
_LETTERS = str.maketrans("0123456789abcdef", "ghijklmnopqrstuv")


def hidden_name(shown: str, serial: int) -> str:
    """A name for `<name len=N ext=.txt h:1a2b3c4d>`: letters of the same length and extension."""
    inner = shown.strip("<>").split(" ")
    size = int(inner[1].split("=", 1)[1])
    ext = next((p.split("=", 1)[1] for p in inner if p.startswith("ext=")), "")
    tag = inner[-1].removeprefix("h:").translate(_LETTERS) + string.ascii_lowercase[serial % 26]
    stem = (tag[::-1] * (size // len(tag) + 2))[: max(1, size - len(ext))]
    return stem + ext


def add_places(builder: StoreBuilder, accounts: list[str], items: list[list[dict]], places: list[dict]) -> None:
    """Every place of the report, in the store being built: `accounts` kept as folders, `items` written
    there (their states, copied where a misplaced item file belongs)."""
    for place in places:
        for serial in range(min(place["count"], MAX_PLACES)):
            rel = concrete(place["path"], place["why"], accounts, serial)
            if rel is not None:
                make(builder, items, rel, place["type"], place["why"], serial)


def concrete(shape: str, why: str, accounts: list[str], serial: int) -> str | None:
    """A path of the shape, or None where the generator cannot make one (inside an account archive)."""
    parts = shape.split("/")
    out = []
    item_id = 90_000 + serial * 101
    for index, part in enumerate(parts):
        if part.endswith(".tar.gz!") or part.startswith("<key"):
            return None
        if part == "<zimbraId>":
            out.append(accounts[0] if accounts else "00000000-0000-4000-8000-000000000000")
        elif part == "<NN>":
            nn = int(layout.nn_folder(item_id))
            out.append(f"{(nn + 1) % 100:02d}" if why.startswith("misplaced") else f"{nn:02d}")
        elif part == "<item id>":
            out.append(str(item_id))
        elif part == "<prefix>":
            out.append("zz" if index + 1 < len(parts) else f"q{serial}")
        elif part == "<digest>":
            out.append(vdigest.digest_of(f"place {serial}".encode()))
        elif part.endswith("<id>"):
            out.append(part.replace("<id>", f"00000000-0000-4000-8000-{serial:012d}"))
        elif part.startswith("<name "):
            out.append(hidden_name(part, serial))
        elif "_DD_MM_YY#hh_mm_ss" in part:
            component = part.split("_DD_MM_YY", 1)[0]
            component = component if not component.startswith("h:") else "component"
            out.append(f"{raw_key(component)}_2{serial}_02_14#04_00_00.tar.gz")
        else:
            out.append(part)
    return "/".join(out)


def make(builder: StoreBuilder, items: list[list[dict]], rel: str, kind: str, why: str, serial: int) -> None:
    path = builder.root / rel
    if path.exists() or path.is_symlink():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "folder":
        path.mkdir()
    elif kind == "link":
        path.symlink_to("no-such-target")
    elif kind == "other":
        os.mkfifo(path)
    else:
        builder.write(rel, content(items, rel, why, serial))


def content(items: list[list[dict]], rel: str, why: str, serial: int) -> bytes:
    """What a misplaced file holds (a valid item, a valid blob under another prefix), else a note."""
    name = rel.rsplit("/", 1)[-1]
    if why.startswith("misplaced") and layout.ITEM_FILE_RE.match(name) and items:
        states = items[serial % len(items)]
        return orjson.dumps([{**s, **({"id": int(name)} if "id" in s else {})} for s in states])
    if why.startswith("misplaced") and vdigest.is_digest(name):
        raw = f"place {serial}".encode()
        return gzip_bytes(raw)
    return b"a file FORMAT.md does not describe\n"
