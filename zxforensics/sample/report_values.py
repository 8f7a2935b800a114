"""Values made from the shapes of a probe's structure report: a value of each `type:form` the probe names
(an epoch in milliseconds within the range, an ISO date, a UUID, a digest, text of the length...), so that
probing what the generator writes finds the same shapes again.
"""

from __future__ import annotations

import hashlib
import random
import string
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from ..format import digest as vdigest
from ..format.names import TYPE_CODES

FIRST_MS = 1_370_044_800_000  # 01/06/2013: dates without a range fall in the sample's year
LAST_MS = 1_393_632_000_000  # 01/03/2014
MAX_LIST = 8  # items made per list, whatever the length reported
_ISO_LAYOUTS = ((10, "%Y-%m-%d"), (19, "%Y-%m-%dT%H:%M:%S"), (20, "%Y-%m-%dT%H:%M:%SZ"),
                (24, "%Y-%m-%dT%H:%M:%S.000Z"), (25, "%Y-%m-%dT%H:%M:%S+00:00"))  # fmt: skip
_VENDOR_LAYOUTS = ((10, "%d/%m/%Y"), (16, "%d/%m/%Y %H:%M"), (19, "%d/%m/%Y %H:%M:%S"))
_ZONES = ("UTC", "Europe/Rome", "Europe/Paris", "America/New_York", "Asia/Tokyo", "Europe/Berlin")
_STATUSES = ("active", "locked", "closed", "lockout", "pending", "maintenance")


def weighted(rng: random.Random, counts: dict[str, int]) -> str:
    """One label of `{label: count}`, drawn in proportion to the counts (deterministic for a seed)."""
    labels = sorted(counts)
    return rng.choices(labels, [max(1, counts[label]) for label in labels])[0]


def raw_key(shown: str) -> str:
    """A key to write for a key as the report shows it: identifiers as they are; a hidden key
    (`<key len=9 h:1a2b3c4d>`) as a key of that length that is no identifier either."""
    if not shown.startswith("<key len="):
        return shown
    length = int(shown[len("<key len=") :].split(" ", 1)[0])
    tag = shown.rsplit("h:", 1)[-1].rstrip(">")
    return ("." + tag * 8)[:length]


def length(item: dict, rng: random.Random, default: int = 8) -> int:
    low, high = item.get("len", [default, default])
    return rng.randint(low, high)


def closest(layouts, size: int) -> str:
    return min(layouts, key=lambda layout: abs(layout[0] - size))[1]


class ValueMaker:
    """Makes values of the shapes of a structure report; `moment` ranges come from the report's own."""

    def __init__(self, rng: random.Random, digests: dict[str, list[str]] | None = None) -> None:
        self.rng = rng
        self.digests = digests if digests is not None else {}  # algorithm -> blob digests to refer to
        self.pending: dict[int, tuple[dict, set[str]]] = {}  # id(options) -> (options, labels not made yet)

    def pick(self, options: dict, allowed: Callable[[str], bool] | None = None) -> str:
        """A label of `options` (`{label: count}` or a shape): each label once first, then in proportion
        to the counts, so that every form the report names is made at least once."""
        counts = {k: v["count"] if isinstance(v, dict) else v for k, v in options.items()}
        usable = {k: n for k, n in counts.items() if allowed is None or allowed(k)} or counts
        _options, pending = self.pending.setdefault(id(options), (options, set(options)))
        first = sorted(pending & usable.keys())
        label = first[0] if first else weighted(self.rng, usable)
        pending.discard(label)
        return label

    def value(self, shape: dict, label: str | None = None, moment: int | None = None) -> object:
        """A value of `shape` (a label drawn by count unless given); `moment` (epoch ms) for a date form."""
        if not shape:
            return None
        label = label or self.pick(shape)
        item = shape[label]
        kind, _, form = label.partition(":")
        if kind == "null":
            return None
        if kind == "bool":
            return self.rng.random() < 0.3
        if kind == "int":
            return self.integer(form, item, moment)
        if kind == "float":
            low, high = item.get("range", [0.0, 1.0])
            return self.rng.uniform(low, high)
        if kind == "str":
            return self.text(form, item, moment)
        if kind == "list":
            count = min(length(item, self.rng, 1), MAX_LIST)
            return [self.value(item.get("items", {})) for _ in range(count)] if item.get("items") else []
        if kind == "dict":
            return {raw_key(k): self.value(v["shape"]) for k, v in item.get("keys", {}).items()}
        return None

    def integer(self, form: str, item: dict, moment: int | None) -> int:
        low, high = item.get("range", [0, 100])
        if form == "zero":
            return 0
        if form in ("epoch_ms", "epoch_s"):
            when = moment if moment is not None else self.rng.randint(low, high) * (1000 if form == "epoch_s" else 1)
            return when if form == "epoch_ms" else when // 1000
        if form == "type_code":
            return self.rng.choice(sorted(TYPE_CODES))
        if form == "type_code_unknown":
            return max(TYPE_CODES) + self.rng.randint(1, 50)
        if form == "bool_number":
            return self.rng.randint(0, 1)
        return self.rng.randint(low, high)

    def text(self, form: str, item: dict, moment: int | None) -> str:
        size = length(item, self.rng)
        when = datetime.fromtimestamp((moment or self.rng.randint(FIRST_MS, LAST_MS)) / 1000, UTC)
        made = {
            "empty": lambda: "",
            "int_text": lambda: str(self.rng.randint(1, 9)) + "".join(self.rng.choices(string.digits, k=size - 1)),
            "epoch_ms_text": lambda: str(int(when.timestamp() * 1000)),
            "epoch_s_text": lambda: str(int(when.timestamp())),
            "ldap_time": lambda: when.strftime("%Y%m%d%H%M%S") + (".123Z" if size > 15 else "Z"),
            "iso": lambda: when.strftime(closest(_ISO_LAYOUTS, size)),
            "dd/MM/yyyy": lambda: when.strftime(closest(_VENDOR_LAYOUTS, size)),
            "uuid": lambda: str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            "digest_sha256": lambda: self.digest("sha256"),
            "digest_sha1": lambda: self.digest("sha1"),
            "bool_text": lambda: "false" if size >= 5 else self.rng.choice(["true", "TRUE"]),
            "address": lambda: self.address(size),
            "type_name": lambda: self.rng.choice(sorted(set(TYPE_CODES.values()))),
            "type_name_other_case": lambda: self.rng.choice(sorted(set(TYPE_CODES.values()))).upper(),
            "type_code": lambda: str(self.rng.choice(sorted(TYPE_CODES))),
            "type_code_unknown": lambda: str(max(TYPE_CODES) + self.rng.randint(1, 50)),
            "unread": lambda: self.unread(item, size),
        }.get(form)
        return made() if made else self.words(size, form)

    def digest(self, algorithm: str) -> str:
        pool = self.digests.get(algorithm)
        if pool:
            return self.rng.choice(pool)
        return vdigest.digest_of(self.rng.randbytes(16), algorithm)

    def address(self, size: int) -> str:
        local = "u" + "".join(self.rng.choices(string.ascii_lowercase, k=max(1, size - 14)))
        return f"{local}@example.com"

    def words(self, size: int, form: str = "text") -> str:
        """Letters and spaces, starting and ending with a letter: text of no other form (`type_name_unknown`
        too: no type is named so)."""
        if size <= 0:
            return "x"
        letters = [self.rng.choice(string.ascii_lowercase) for _ in range(size)]
        for index in range(4, size - 1, 6):
            letters[index] = " "
        text = "".join(letters)
        return "zz" + text[2:] if form == "type_name_unknown" and len(text) > 2 else text

    def unread(self, item: dict, size: int) -> str:
        """Text the kit cannot read, laid out as one of its masks (digits for `9`, letters for `a`/`A`)."""
        masks = item.get("masks")
        if not masks:
            return "?" + self.words(max(1, size - 1))
        layout = self.rng.choice(masks)
        return "".join(
            str(self.rng.randint(0, 9)) if c == "9" else self.rng.choice(string.ascii_lowercase) if c == "a"
            else self.rng.choice(string.ascii_uppercase) if c == "A" else c
            for c in layout
        )  # fmt: skip

    def zone(self, size: int) -> str:
        """A time zone name the kit knows, of about the length reported."""
        return min(_ZONES, key=lambda z: abs(len(z) - size))

    def status(self, size: int) -> str:
        return min(_STATUSES, key=lambda s: abs(len(s) - size))


def content_of(form: str, size: int, rng: random.Random, serial: int) -> bytes:
    """Blob content of a form the probe names (`rfc822`, `icalendar`, `vcard`, `text`, `binary`), about `size`
    bytes, unique by `serial`."""
    stamp = hashlib.sha256(f"{form}{serial}".encode()).hexdigest()
    if form == "binary":
        body = b"\xff\xfe\x00" + rng.randbytes(max(8, size))
        return body[: max(size, 12)]
    head = {
        "rfc822": f"From: sender@example.com\nTo: someone@example.com\nSubject: Message {serial}\n"
        f"Message-ID: <{stamp}@example.com>\n\n",
        "icalendar": f"BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:{stamp}\nEND:VEVENT\n",
        "vcard": f"BEGIN:VCARD\nVERSION:3.0\nUID:{stamp}\n",
    }.get(form, f"note {stamp}\n")
    tail = {"icalendar": "END:VCALENDAR\n", "vcard": "END:VCARD\n"}.get(form, "")
    filler = "x" * max(0, size - len(head) - len(tail))
    return (head + filler + tail).encode()
