"""A synthetic store from a probe's structure report: the same kinds of files, key spellings, containers,
value forms and shapes, and files in the same unexpected places, with no value of the store the report
was taken from (there is none in the report). A report a user sends becomes a test fixture:

    zx.build_from_report("structure.json", "/tmp/like-theirs")
    zxforensics make-sample /tmp/like-theirs from_report structure.json

Sizes are bounded (MAX_*): the store reproduces shapes, not volumes. Damage (JSON cut short, bombs, links
out of the tree) is not reproduced beyond what a shape needs.
"""

from __future__ import annotations

import os
import random
import tarfile
from pathlib import Path

import orjson

from ..errors import InvalidArgument
from ..evidence.files import read_file
from ..format import digest as vdigest
from ..format import layout
from ..format.keys import fold
from .audit_cases import java_hashmap
from .builder import StoreBuilder, gzip_bytes
from .report_places import add_places
from .report_server import add_server
from .report_values import FIRST_MS, LAST_MS, ValueMaker, content_of, raw_key
from .server import tar_gz
from .spellings import respell, understood_only

REPORT_FORMAT = "zxforensics-probe-structure"
MAX_ACCOUNTS = 12
MAX_ITEMS = 400  # item files in the whole store
MAX_STATES = 6  # per item file
MAX_BLOBS = 200
MAX_LINES = 40  # lines of an id_mapper.log or a text map, pairs of a Java map
ARCHIVE_MTIME = 1_393_556_400  # 28/02/2014: members of generated archives
MAX_ODD = 3  # files of each odd shape (a JSON list where an object belongs, JSON cut short...)
_SEPARATORS = {"space": "{} {}", "=": "{}={}", "->": "{} -> {}", "→": "{}→{}", ",": "{},{}"}


def load_report(report: dict | str | os.PathLike) -> dict:
    """A structure report as a dict: given as one, or as the path of its JSON file (read as evidence is)."""
    try:
        doc = report if isinstance(report, dict) else orjson.loads(read_file(report))
    except orjson.JSONDecodeError as exc:
        raise InvalidArgument(f"{report}: not JSON ({exc}), not a structure report of `zxforensics probe`") from None
    if not isinstance(doc, dict) or doc.get("format") != REPORT_FORMAT:
        raise InvalidArgument(f"not a structure report of `zxforensics probe` (format {REPORT_FORMAT!r} expected)")
    return doc


def build_from_report(
    report: dict | str | os.PathLike, path: str | os.PathLike, seed: int = 0, spelling: str | None = None
) -> Path:
    """Write a store shaped as `report` at `path` (a new or empty folder); `spelling` (one of
    `spellings.SPELLINGS`) writes what the kit understood of it in that spelling instead."""
    doc = load_report(report)
    if spelling is not None:
        doc = respell(understood_only(doc), spelling)
    target = Path(path)
    if target.exists() and any(target.iterdir()):
        raise FileExistsError(f"{target} is not empty: the generator only writes into a new folder")
    ReportStore(StoreBuilder(target), doc, random.Random(seed)).build()
    return target


def clamp(kind: dict | None, limit: int, low: int = 0) -> int:
    """How many files of a kind to make: as many as the report read, within [low, limit]."""
    return max(low, min(limit, (kind or {}).get("read", 0) or (kind or {}).get("found", 0)))


def span(kind: dict, name: str, default: tuple[int, int], limit: int, rng: random.Random) -> int:
    low, high = kind.get("ranges", {}).get(name, default)
    return rng.randint(min(low, limit), min(high, limit))


class ReportStore:
    """Writes one store from one report (see the module's docstring)."""

    def __init__(self, builder: StoreBuilder, doc: dict, rng: random.Random) -> None:
        self.builder = builder
        self.kinds: dict[str, dict] = doc.get("kinds", {})
        self.doc = doc
        self.rng = rng
        self.values = ValueMaker(rng, {"sha256": [], "sha1": []})
        self.account_ids: list[str] = []
        self.folder_accounts: list[str] = []  # accounts kept as folders (not archives)
        self.unseen: dict[str, set[str]] = {}  # keys of a scope not written yet
        self.items: list[list[dict]] = []  # states of the item files written, copied where one is misplaced

    def kind(self, name: str) -> dict:
        return self.kinds.get(name) or {}

    def build(self) -> None:
        self.blobs()
        if self.kinds.get("backupstat"):
            self.builder.write_json(layout.BACKUPSTAT, self.object_doc("backupstat", 0))
        self.accounts()
        self.maps()
        add_server(self.builder, self.kinds, self.values, self.rng)
        add_places(self.builder, self.folder_accounts, self.items, self.doc.get("unexpected", []))

    # -- objects: backupstat, account_info, account_stat ------------------------------------------------
    def object_doc(self, kind: str, serial: int, account_id: str | None = None) -> object:
        keys = self.kind(kind).get("keys", {})
        odd = keys.get("document", {})
        if odd and serial == 1:  # one account holds the document of another JSON type
            return self.values.value(next(iter(odd.values()))["shape"])
        total = max(1, self.kind(kind).get("read", 1))
        doc = {}
        for shown, entry in keys.get("object", {}).items():
            if serial and self.rng.random() > entry["count"] / total:
                continue
            doc[raw_key(shown)] = self.object_value(fold(raw_key(shown)), entry["shape"], account_id)
        return doc

    def object_value(self, folded: str, shape: dict, account_id: str | None) -> object:
        label = self.values.pick(shape)
        size = shape[label].get("len", [8, 8])[1]
        if folded == "zimbraid" and label == "str:uuid" and account_id:
            return account_id
        if folded == "timezone" and label == "str:text":
            return self.values.zone(size)
        if folded == "zimbraaccountstatus" and label == "str:text":
            return self.values.status(size)
        return self.values.value(shape, label)

    # -- accounts and their files ---------------------------------------------------------------------------
    def accounts(self) -> None:
        info = self.kind("account_info")
        count = clamp(info, MAX_ACCOUNTS, 1 if self.kinds.get("item metadata") else 0)
        per_account = -(-clamp(self.kind("item metadata"), MAX_ITEMS) // max(1, count))
        mappers = clamp(self.kind("id_mapper.log"), count)
        for serial in range(count):
            account_id = self.values.text("uuid", {}, None)
            self.account_ids.append(account_id)
            files = self.account_files(account_id, serial, per_account, serial < mappers)
            if self.stored_as(info.get("forms", {}).get("stored as", {}), serial, count) == "archive":
                entries = [(name, data, tarfile.REGTYPE, 0, "") for name, data in files.items()]
                rel = f"{layout.ACCOUNTS_DIR}/{account_id}{layout.ACCOUNT_ARCHIVE_SUFFIX}"
                self.builder.write(rel, tar_gz(entries, ARCHIVE_MTIME))
            else:
                self.folder_accounts.append(account_id)
                for name, data in files.items():
                    self.builder.write(f"{layout.ACCOUNTS_DIR}/{account_id}/{name}", data)

    def stored_as(self, forms: dict[str, int], serial: int, count: int) -> str:
        """`folder` or `archive` (S3-style) for account `serial`: both kinds when the report has both."""
        if not forms.get("archive"):
            return "folder"
        if not forms.get("folder"):
            return "archive"
        if serial in (0, count - 1):
            return "folder" if serial == 0 else "archive"
        return "archive" if self.rng.random() < forms["archive"] / sum(forms.values()) else "folder"

    def account_files(self, account_id: str, serial: int, items: int, mapper: bool) -> dict[str, bytes]:
        files: dict[str, bytes] = {}
        for kind in (layout.ACCOUNT_INFO, layout.ACCOUNT_STAT):
            if self.kinds.get(kind):
                files[kind] = orjson.dumps(self.object_doc(kind, serial, account_id), option=orjson.OPT_INDENT_2)
        if mapper:
            files[layout.ID_MAPPER_LOG] = self.pairs_text(self.kind("id_mapper.log"))
        for item_id, doc in self.item_docs(serial, items):
            data = doc if isinstance(doc, bytes) else orjson.dumps(doc)
            files[f"{layout.ITEMS_DIR}/{layout.nn_folder(item_id)}/{item_id}"] = data
            if isinstance(doc, list) and doc and isinstance(doc[0], dict):
                self.items.append(doc)
        return files

    # -- item metadata --------------------------------------------------------------------------------------
    def item_docs(self, serial: int, count: int):
        kind = self.kind("item metadata")
        if not kind:
            return
        first = 257 + serial * 10_000
        for number in range(count):
            yield first + number, self.item_doc(kind, first + number)
        odd = first + count
        for entry in kind.get("keys", {}).get("non_object_state", {}).values() if serial == 0 else ():
            yield odd, [self.values.value(entry["shape"]) for _ in range(min(entry["count"], 5))]  # `[1, 2, 3]`
            odd += 1
        if serial == 0 and kind.get("forms", {}).get("document", {}).get("not json"):
            yield odd, b"not json\n"

    def item_doc(self, kind: dict, item_id: int) -> object:
        forms = kind.get("forms", {})
        container = self.values.pick(forms.get("container") or {"array": 1})
        file_keys = kind.get("keys", {}).get("file", {})
        unknown = {k: v for k, v in file_keys.items() if v["status"] == "unknown"}
        if container.startswith("other"):
            return {raw_key(k): self.values.value(v["shape"]) for k, v in unknown.items()} or {"note": None}
        extra = {raw_key(k): self.values.value(v["shape"]) for k, v in unknown.items() if self.rng.random() < 0.5}
        states = self.states(kind, item_id, 1 if container == "single" else None)
        if container == "single":
            return states[0]
        if container.startswith("wrapped:"):
            wanted = container.split(":", 1)[1]
            spelled = next((raw_key(k) for k, v in file_keys.items() if v["field"] == "states"
                            and fold(raw_key(k)) == wanted), "states")  # fmt: skip
            return {spelled: states, **extra}
        return states

    def states(self, kind: dict, item_id: int, count: int | None) -> list[dict]:
        keys = kind.get("keys", {}).get("state", {})
        total = max([v["count"] for v in keys.values()] or [1])
        count = count or span(kind, "states per file", (1, 2), MAX_STATES, self.rng)
        low, high = self.date_range(keys)
        moments = sorted(self.rng.randint(low, high) for _ in range(count + 1))
        unseen = self.unseen.setdefault("state", set(keys))  # every key once, then in proportion to its count
        states = []
        for index in range(count):
            state = {}
            for shown, entry in keys.items():
                if shown in unseen or self.rng.random() <= entry["count"] / total:
                    state[raw_key(shown)] = self.state_value(entry, index, count, item_id, moments)
                    unseen.discard(shown)
            states.append(state)
        return states

    def date_range(self, keys: dict) -> tuple[int, int]:
        for entry in keys.values():
            if entry["field"] == "start_date":
                for label, item in entry["shape"].items():
                    if label in ("int:epoch_ms", "int:epoch_s") and "range" in item:
                        scale = 1000 if label == "int:epoch_s" else 1
                        return item["range"][0] * scale, item["range"][1] * scale
        return FIRST_MS, LAST_MS

    def state_value(self, entry: dict, index: int, count: int, item_id: int, moments: list[int]) -> object:
        shape, field = entry["shape"], entry["field"]
        last = index == count - 1
        closing = (lambda k: (k == "null") == last) if field == "end_date" and count > 1 else None  # null: the last
        label = self.values.pick(shape, closing)
        if field in ("item_id", "transaction_id") and label in ("int", "str:int_text"):
            number = item_id if field == "item_id" else index + 1
            return number if label == "int" else str(number)
        moment = {"start_date": moments[index], "end_date": moments[index + 1], "date": moments[0]}.get(field)
        return self.values.value(shape, label, moment)

    # -- blobs ----------------------------------------------------------------------------------------------
    def blobs(self) -> None:
        kind = self.kind("blobs")
        if not kind:
            return
        forms = kind.get("forms", {})
        size = kind.get("keys", {}).get("blob", {}).get("size", {}).get("shape", {}).get("int", {})
        low, high = size.get("range", [200, 4000])
        failures = forms.get("failure", {})
        odd = ["not_gzip"] * min(failures.get("not_gzip", 0), MAX_ODD)
        odd += ["digest_mismatch"] * min(failures.get("digest_mismatch", 0), MAX_ODD)
        count = clamp(kind, MAX_BLOBS, 1) + len(odd)
        for serial in range(count):
            content = content_of(self.values.pick(forms.get("content") or {"rfc822": 1}),
                                 self.rng.randint(low, min(high, 64_000)), self.rng, serial)  # fmt: skip
            name = self.values.pick(forms.get("name") or {"digest_sha256": 1})
            algorithm = "sha1" if name == "digest_sha1" else "sha256"
            digest = vdigest.digest_of(content, algorithm)
            data = gzip_bytes(content)
            if self.values.pick(forms.get("gzip layers") or {"1": 1}) == "2":
                data = gzip_bytes(data)
            failure = odd[serial - count + len(odd)] if serial >= count - len(odd) else None  # the last ones
            if failure == "not_gzip":
                data = content
            elif failure == "digest_mismatch":
                data = gzip_bytes(content + b"\n")
            self.builder.write(vdigest.blob_relpath(digest), data)
            self.values.digests[algorithm].append(digest)

    # -- pairs: id_mapper.log and map files -----------------------------------------------------------------
    def pairs(self, kind: dict, count: int) -> list[tuple[str, str]]:
        keys = kind.get("keys", {}).get("pair", {})
        return [(str(self.values.value(keys.get("source", {}).get("shape", {"str:int_text": {"count": 1}}))),
                 str(self.values.value(keys.get("destination", {}).get("shape", {"str:int_text": {"count": 1}}))))
                for _ in range(count)]  # fmt: skip

    def pairs_text(self, kind: dict) -> bytes:
        forms = kind.get("forms", {}).get("line") or {"space": 1}
        lines = []
        for _ in range(span(kind, "lines", (3, 6), MAX_LINES, self.rng)):
            form = self.values.pick(forms)
            if form in _SEPARATORS:
                lines.append(_SEPARATORS[form].format(*self.pairs(kind, 1)[0]))
            else:
                lines.append({"blank": "", "comment": "# restored items"}.get(form, "one two three"))
        return ("\n".join(lines) + "\n").encode()

    def maps(self) -> None:
        kind = self.kind("map files")
        encodings = kind.get("forms", {}).get("encoding") or {"text": 1}
        for serial in range(clamp(kind, MAX_ODD)):
            name = f"{layout.MAP_PREFIX}{self.values.text('uuid', {}, None)}"
            encoding = sorted(encodings)[serial] if serial < len(encodings) else self.values.pick(encodings)
            if encoding == "text":
                self.builder.write(name, self.pairs_text(kind))
            else:
                count = span(kind, "pairs", (2, 4), MAX_LINES, self.rng)
                self.builder.write(name, java_hashmap(self.pairs(kind, count)))
