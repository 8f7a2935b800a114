"""How the probe reads the kinds that are not JSON objects: id_mapper.log, map files, server archives with
config.json, ldap.ldif and customizations members, and blobs.

Each reader takes bytes the store read (or an archive the store read in place) and counts what it saw in
a `KindStats`, judging it with the parsers' own functions (`parse.maps`, `parse.server_config`,
`parse.ldap_dump`, the store's blob reading).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ..errors import EvidenceError, ParseError
from ..evidence.tar import ArchiveRead
from ..format.archives import COMPONENTS, CONFIG_MEMBER, CUSTOMIZATION_PREFIXES, LDAP_MEMBER
from ..parse.ldap_dump import KINDS as LDAP_CLASSES
from ..parse.ldap_dump import parse_ldif
from ..parse.maps import JAVA_STREAM_MAGIC, pair_form, parse_java_map, parse_pairs
from ..parse.server_config import CONFIG_SECTIONS
from ..parse.shapes import json_type, string_form
from .probe_kinds import KindStats, read_json

if TYPE_CHECKING:
    from ..store.backup import BackupStore

# Sections of config.json whose ids are names from the evidence (servers, zimlets, COS, domains): the probe
# keeps `*` in their place. globalConfig has no ids.
_ID_SECTIONS = ("zimlets", "cos", "domains")
_LDAP_CLASS_NAMES = frozenset(name for name, _kind in LDAP_CLASSES)
NOT_UNDERSTOOD_BLOBS = ("not_gzip", "digest_mismatch")  # the content is there, in a form the kit does not read
MAX_EXTENSION = 5  # characters of a member's extension kept in its pattern


def _text(stats: KindStats, path: str, data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        stats.file(path, "not_understood", "not UTF-8 text")
        stats.form("document", "not text")
        return None


def look_pairs(stats: KindStats, path: str, data: bytes) -> None:
    """id_mapper.log or a text map: `<a> <b>` lines, each separator counted."""
    text = _text(stats, path, data)
    if text is None:
        return
    lines = text.splitlines()
    stats.span("lines", len(lines))
    unread = 0
    for line in lines:
        form = pair_form(line)
        stats.form("line", form or "not read")
        unread += form is None
    try:
        pairs = parse_pairs(text, stats.kind)
    except ParseError:
        pairs = []
    _pairs(stats, pairs)
    if unread and not pairs:
        stats.file(path, "not_understood", f"{unread} lines not read")
    elif unread or (stats.kind == "id_mapper.log" and not all(a.isdigit() and b.isdigit() for a, b in pairs)):
        stats.file(path, "partly", f"{unread} lines not read" if unread else "item ids that are not integers")
    else:
        stats.file(path, "understood")


def _pairs(stats: KindStats, pairs) -> None:
    stats.span("pairs", len(pairs))
    for source, destination in pairs:
        stats.key("pair", "source", source, status="used")
        stats.key("pair", "destination", destination, status="used")


def look_map(stats: KindStats, path: str, data: bytes) -> None:
    """`map_<sourceServerId>`: a Java-serialized HashMap, or text lines."""
    if not data.startswith(JAVA_STREAM_MAGIC):
        stats.form("encoding", "text")
        look_pairs(stats, path, data)
        return
    stats.form("encoding", "java serialization")
    try:
        pairs = list(parse_java_map(data).items())
    except ParseError as exc:
        stats.file(path, "not_understood", exc.detail)
        return
    _pairs(stats, pairs)
    stats.file(path, "understood")


# -- server archives --------------------------------------------------------------------------------------
def member_pattern(name: str) -> tuple[str, bool]:
    """A member's place without its name: `conf/*.xml`, `postfix/conf/*/*.pem`; and whether FORMAT.md
    describes the place (`conf/`, `postfix/conf/`)."""
    prefix = next((p for p in CUSTOMIZATION_PREFIXES[::-1] if name.startswith(p)), None)
    known = prefix is not None
    if prefix is None:
        head, _, _tail = name.partition("/")
        prefix = f"{head}/" if "/" in name else ""
    rest = name[len(prefix) :].split("/")
    ext = os.path.splitext(rest[-1])[1]
    ext = ext if 1 < len(ext) <= MAX_EXTENSION + 1 and ext[1:].isalnum() else ""
    return prefix + "*/" * (len(rest) - 1) + "*" + ext, known


def look_archive(archives: KindStats, stats: dict[str, KindStats], component: str, rel: str, read: ArchiveRead) -> None:
    """One server archive: its members, and the payload of a config or ldap one."""
    archives.form("component", component)
    payload = {"config": CONFIG_MEMBER, "ldap": LDAP_MEMBER}.get(component)
    odd = 0
    for member in read.members:
        pattern, known = member_pattern(member.name)
        if payload is not None:
            known = member.name == payload
        archives.key("member", f"{component}/{pattern}", member.size, status="used" if known else "unknown")
        odd += not known
    if not read.ok:
        archives.file(rel, "unreadable", "; ".join(e["kind"] for e in read.errors[:3]))
        return
    if component == "customizations":
        look_customizations(stats["customizations"], rel, read)
    found = [m for m in read.members if payload and m.name == payload and m.data is not None]
    if payload is not None and not found:
        archives.file(rel, "not_understood", f"no {payload} member")
        return
    if found:
        target = stats["config.json" if component == "config" else "ldap.ldif"]
        target.found += 1
        target.sampled += 1
        (look_config if component == "config" else look_ldif)(target, f"{rel}!/{payload}", found[-1].data)
    for error in read.errors:  # members refused for safety (links, `..`, devices): the errors table names them
        archives.form("damage", f"refused member ({error['kind']})")
    if component not in COMPONENTS:
        archives.file(rel, "partly", "a component FORMAT.md does not describe")
    elif odd:
        archives.file(rel, "partly", f"{odd} members FORMAT.md does not describe")
    else:
        archives.file(rel, "understood")


def look_customizations(stats: KindStats, rel: str, read: ArchiveRead) -> None:
    stats.found += len(read.members)
    stats.sampled += len(read.members)
    for member in read.members:
        pattern, known = member_pattern(member.name)
        stats.key("member", pattern, member.size, status="used" if known else "unknown")
        stats.file(f"{rel}!/{member.name}", "understood" if known else "partly",
                   "" if known else "a member outside conf/ and postfix/conf/")  # fmt: skip


def config_key(section: str, ident: str, key: str | None) -> str:
    """The key of one config value, with `*` where a name of the evidence stands (servers, COS, domains...)."""
    if section == "serverConfig":
        return f"serverConfig/{ident}/*"
    if key is None:
        return f"{section}/{ident}"
    return f"{section}/*/{key}"


def look_config(stats: KindStats, path: str, data: bytes) -> None:
    """config.json: its sections, and the shape of every attribute's values (FORMAT.md §5)."""
    doc = read_json(stats, path, data)
    if doc is None:
        return
    if not isinstance(doc, dict):
        stats.file(path, "not_understood", f"a JSON {json_type(doc)}, not an object")
        return
    unknown = odd = 0
    for section, body in doc.items():
        known = section in CONFIG_SECTIONS
        stats.key("section", section, body, shallow=True, status="used" if known else "unknown")
        unknown += not known
        if not isinstance(body, dict):
            continue
        stats.span(f"ids of {section}", len(body))
        for ident, inner in body.items():
            nested = isinstance(inner, dict) and (section in (*_ID_SECTIONS, "serverConfig") or not known)
            values = inner.items() if nested else [(None, inner)]
            for key, value in values:
                plain = json_type(value) != "dict" and not (
                    isinstance(value, list) and any(json_type(v) in ("list", "dict") for v in value)
                )
                name = config_key(section, str(ident), None if key is None else str(key))
                stats.key("attribute", name, value, readable=plain)
                odd += not plain
    if unknown or odd:
        stats.file(path, "partly", f"{unknown} unknown sections, {odd} values kept as JSON text")
    else:
        stats.file(path, "understood")


def look_ldif(stats: KindStats, path: str, data: bytes) -> None:
    """ldap.ldif: entries by object class, their attributes and the shape of a DN (its attribute types)."""
    try:
        entries = parse_ldif(data)
    except ParseError as exc:
        stats.file(path, "not_understood", exc.detail)
        return
    stats.span("entries", len(entries))
    for dn, attrs in entries:
        classes = attrs.get("objectclass", [])
        kind = next((k for cls, k in LDAP_CLASSES if cls in {c.lower() for c in classes}), "other")
        stats.form("entry kind", kind)
        stats.form("dn", ",".join(part.split("=", 1)[0].strip().lower() for part in dn.split(",") if "=" in part))
        for cls in classes:
            stats.key("objectclass", cls, None, status="used" if cls.lower() in _LDAP_CLASS_NAMES else "ignored")
        for name, values in attrs.items():
            if name != "objectclass":
                stats.key("attribute", f"{kind}/{name}", values)
    stats.file(path, "understood")


# -- blobs ------------------------------------------------------------------------------------------------
def content_form(raw: bytes) -> str:
    """What a blob holds, without its content: a message, a calendar, a contact card, other text or binary."""
    head = raw[:2048]
    if head.startswith((b"BEGIN:VCALENDAR", b"BEGIN:VEVENT")):
        return "icalendar"
    if head.startswith(b"BEGIN:VCARD"):
        return "vcard"
    first = head.split(b"\n", 1)[0]
    if b":" in first and first.split(b":", 1)[0].replace(b"-", b"").isalnum():
        return "rfc822"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "binary"
    return "text"


def look_blob(stats: KindStats, store: BackupStore, rel: str, digest: str) -> None:
    """One blob at its canonical place: its name's form, gzip layers, whether its digest verifies."""
    stats.form("name", string_form(digest))
    try:
        raw, layers = store.read_blob_checked(digest)
    except EvidenceError as exc:
        status = "not_understood" if exc.kind in NOT_UNDERSTOOD_BLOBS else "unreadable"
        stats.form("failure" if status == "not_understood" else "damage", exc.kind)
        stats.file(rel, status, f"{exc.kind}: {exc.detail}")
        return
    stats.form("gzip layers", str(layers))
    stats.form("content", content_form(raw))
    stats.key("blob", "size", len(raw), status="used")
    stats.file(rel, "understood")
