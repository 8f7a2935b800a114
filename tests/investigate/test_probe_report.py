"""The anonymised structure report: keys and shapes only, no value of the store, deterministic, written safely."""

from __future__ import annotations

import contextlib

import orjson
import pytest

import zxforensics as zx
from zxforensics.errors import OutputError
from zxforensics.format import layout
from zxforensics.format.archives import COMPONENTS, CONFIG_MEMBER, LDAP_MEMBER
from zxforensics.format.names import ITEM_TYPES
from zxforensics.investigate.probe import probe
from zxforensics.investigate.probe_report import Anonymiser, percent, shape_text
from zxforensics.parse.items import load_json
from zxforensics.parse.ldap_dump import parse_ldif
from zxforensics.parse.maps import JAVA_STREAM_MAGIC, parse_java_map

# The kit's own words, which a value of the store may equal without leaking anything: FORMAT.md's layout,
# the server components, the item types, and the types of an unexpected place.
LAYOUT = (layout.BACKUPSTAT, layout.ACCOUNTS_DIR, layout.ITEMS_DIR, layout.SERVER_DIR, *layout.ACCOUNT_FILES)
VOCABULARY = frozenset({*LAYOUT, *layout.ACCOUNT_FOLDERS, CONFIG_MEMBER, LDAP_MEMBER, *COMPONENTS, *ITEM_TYPES,
                        "file", "folder", "link", "other"})  # fmt: skip
IDENTIFIER_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def _strings(value, out: set[str], keys: bool = False) -> None:
    """Every string of a parsed JSON value (and, with `keys`, the keys of its objects below the top)."""
    if isinstance(value, str):
        out.add(value)
    elif isinstance(value, list):
        for item in value:
            _strings(item, out, keys)
    elif isinstance(value, dict):
        for key, item in value.items():
            if keys:
                out.add(str(key))
            _strings(item, out, keys)


def config_values(doc: dict, values: set[str]) -> None:
    """The values of config.json, and the names among its keys: servers, zimlets, COS and domains."""
    for section, body in doc.items():
        for ident, inner in body.items() if isinstance(body, dict) else ():
            if section in ("zimlets", "cos", "domains"):
                values.add(ident)
            elif isinstance(inner, dict):  # serverConfig/<attribute>/<server>
                values.update(inner)
            _strings(inner, values)


def store_values(store) -> set[str]:
    """Every value of the store: names of its files and folders, JSON strings (and config ids), LDIF values
    and DNs, map and id_mapper tokens."""
    values: set[str] = set()

    def walk(rel: str) -> None:
        for name, kind in store.listing(rel):
            path = f"{rel}/{name}" if rel else name
            values.add(name)
            if kind == "folder":
                walk(path)
            elif kind == "file":
                read(path)

    def read(path: str) -> None:
        data = store.read_file(path)
        if path.startswith("server/") and path.endswith(".tar.gz"):
            for member in store.server.read(path, want=lambda m: True).members:
                values.add(member.name)
                if member.name == CONFIG_MEMBER:
                    config_values(load_json(member.data), values)
                elif member.name == LDAP_MEMBER:
                    for dn, attrs in parse_ldif(member.data):
                        values.add(dn)
                        for attribute, found in attrs.items():
                            if attribute != "objectclass":  # object classes are the schema's own words
                                values.update(found)
        elif data.startswith(JAVA_STREAM_MAGIC):
            values.update(t for pair in parse_java_map(data).items() for t in pair)
        elif path.endswith(layout.ID_MAPPER_LOG):
            values.update(data.decode().split())
        elif path.startswith(layout.ACCOUNTS_DIR) or path == layout.BACKUPSTAT:
            with contextlib.suppress(zx.ParseError):  # the sample's JSON cut short holds no other string
                _strings(load_json(data), values)

    walk("")
    return {v.strip() for v in values if len(v.strip()) >= 4} - VOCABULARY


def report_strings(report: bytes) -> set[str]:
    found: set[str] = set()
    _strings(orjson.loads(report), found, keys=True)
    return found | set(orjson.loads(report))


def test_no_value_of_the_sample_is_in_the_structure_report(sample_path):
    store = zx.open_backup(sample_path, max_blob_size=8 << 20)
    report = probe(store, sample="all").to_json()
    values = store_values(store)
    assert len(values) > 1000  # subjects, addresses, names, digests, ids, LDAP values, config ids...
    text = report.decode()
    tokens = report_strings(report)
    assert not values & tokens, sorted(values & tokens)[:20]
    # a value that is no identifier (an address, a subject, a digest, a path) is not even part of a string;
    # identifier-like ones (`zimbra`, `active`) may be a part of the schema's own words (`zimbraId`)
    leaked = [v for v in values if not set(v) <= IDENTIFIER_CHARS and v in text]
    assert not leaked, leaked[:20]
    for kept in ("startDate", "zimbraMailHost", "serverConfig/zimbraMailMode/*", "<zimbraId>", "str:address"):
        assert kept in text


def test_report_is_deterministic_json_with_keys_sorted(sample_path, tmp_path):
    first = probe(zx.open_backup(sample_path, max_blob_size=8 << 20), sample=30)
    again = probe(zx.open_backup(sample_path, max_blob_size=8 << 20), sample=30)
    assert first.to_json() == again.to_json()
    doc = orjson.loads(first.to_json())
    assert list(doc) == sorted(doc) and doc["format"] == "zxforensics-probe-structure"
    assert doc["verdict"] == first.verdict and doc["complete"] is False and doc["sample"] == 30
    written = first.write(tmp_path / "structure.json", [sample_path])
    assert written.read_bytes() == first.to_json()
    with pytest.raises(OutputError, match="refusing to overwrite"):
        first.write(tmp_path / "structure.json", [sample_path])
    assert first.write(tmp_path / "structure.json", [sample_path], replace=True) == written
    with pytest.raises(OutputError, match="backup path"):
        first.write(sample_path / "structure.json", [sample_path])


def test_anonymiser_keeps_identifiers_and_shapes_names():
    anon = Anonymiser(b"store secret")
    assert anon.key("startDate") == "startDate" and anon.key("start_date") == "start_date"
    hidden = anon.key("alice@example.com")
    assert hidden.startswith("<key len=17 h:") and "alice" not in hidden
    assert anon.key("alice@example.com") == hidden != Anonymiser(b"another store").key("alice@example.com")
    assert anon.key_path("cos/*/zimbraNotes") == "cos/*/zimbraNotes"
    assert anon.key_path("domains/example.com/x").startswith("domains/<key len=11 h:")
    uid = "6f3a2c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"
    assert anon.path(f"accounts/{uid}/items/42/4241") == "accounts/<zimbraId>/items/<NN>/<item id>"
    assert anon.path(f"accounts/{uid}.tar.gz!/account_info") == "accounts/<zimbraId>.tar.gz!/account_info"
    assert anon.path("items/ab/n4bQgYhMfWWaL+qgxVrQFaO,TxsrC4Is0V1sFbDwCgg=") == "items/<prefix>/<digest>"
    assert anon.path("server/ldap_28_02_14#04_01_14.tar.gz") == "server/ldap_DD_MM_YY#hh_mm_ss.tar.gz"
    assert anon.path("server/secret_28_02_14#04_01_14.tar.gz").startswith("server/h:")
    assert anon.path(f"lock_{uid}") == "lock_<id>"
    assert anon.path("Minutes for Bob.txt").startswith("<name len=19 ext=.txt h:")


def test_percent_and_shape_text():
    assert percent(997, 1000) == "99.7%" and percent(9999, 10000) == "99.9%" and percent(5, 5) == "100%"
    shape = {
        "int:epoch_ms": {"count": 3, "range": [1, 2]},
        "str:unread": {"count": 1, "len": [5, 5], "masks": ["99.99"]},
    }
    assert shape_text(shape) == "int:epoch_ms 1..2 ×3; str:unread len 5 like 99.99 ×1"
