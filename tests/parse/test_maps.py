"""Import maps: the Java-serialized `map_*` (javaobj-py3), its text form, and `id_mapper.log`."""

from __future__ import annotations

import struct

import javaobj.v2 as javaobj
import pytest
from evidence_snapshot import read_evidence
from hypothesis import given, settings
from hypothesis import strategies as st

import zxforensics as zx
from zxforensics.parse import ParseError
from zxforensics.sample import audit_cases
from zxforensics.sample.audit_cases import java_hashmap
from zxforensics.sample.catalog import account_id


def test_the_sample_map(sample_path):
    path = sample_path / f"map_{audit_cases.OLD_SERVER_ID}"
    data = read_evidence(path)
    assert data[:4] == b"\xac\xed\x00\x05"
    df = zx.read_map(path)
    assert list(df.columns) == ["source", "destination"]
    assert dict(zip(df["source"], df["destination"], strict=True)) == {
        old: account_id(mail) for mail, old in audit_cases.OLD_IDS.items()}
    assert df["source"].is_monotonic_increasing
    assert zx.read_map(str(path)).equals(df) and zx.read_map(data).equals(df)


def test_the_writer_is_java_serialization():
    pairs = [(f"source-{n:02d}", f"destination-{n:02d} é") for n in range(20)]  # past one resize
    data = java_hashmap(pairs)
    assert data == java_hashmap(pairs)  # deterministic
    loaded = javaobj.loads(data)
    assert {str(k): str(v) for k, v in loaded.items()} == dict(pairs)
    assert zx.read_map(data)["destination"].tolist() == [v for _k, v in pairs]
    assert zx.read_map(java_hashmap([])).empty


def test_the_text_form():
    text = b"# exported by hand\nold-1 new-1\n\nold-2=new-2\nold-3 -> new-3\n"
    df = zx.read_map(text)
    assert df.values.tolist() == [["old-1", "new-1"], ["old-2", "new-2"], ["old-3", "new-3"]]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xac\xed\x00\x05\x74\x00\x02hi", "a serialized"),  # a Java String, not a map
        (b"\xac\xed\x00\x05garbage", "not a readable Java serialization stream"),
        (b"one two three\n", "map line 1: expected two ids"),
        (b"\xff\xfe\x00", "neither a Java serialization stream nor text"),
    ],
)
def test_what_is_not_a_map(data, message):
    with pytest.raises(ParseError, match=message) as caught:
        zx.read_map(data)
    assert caught.value.kind == "invalid_metadata"


def test_id_mapper_log(sample_path):
    path = sample_path / "accounts" / account_id("alice@example.com") / "id_mapper.log"
    df = zx.read_id_mapper(path)
    assert list(df.columns) == ["source_id", "restored_id"] and str(df["source_id"].dtype) == "Int64"
    assert dict(zip(df["source_id"], df["restored_id"], strict=True)) == audit_cases.ID_MAPPER
    with pytest.raises(ParseError, match="item ids must be integers"):
        zx.read_id_mapper(b"12 abc\n")


# -- hostile map files ---------------------------------------------------------------------------
def with_reference(pairs: list[tuple[str, str]], value_of_last: int) -> bytes:
    """A HashMap whose last value is a back-reference to an earlier string, as Java writes a repeated String."""
    data = java_hashmap(pairs)[:-1]
    last_value = pairs[-1][1].encode()
    data = data[: -(3 + len(last_value))]
    return data + b"\x71" + struct.pack(">i", 0x7E0000 + value_of_last) + b"\x78"


def test_string_references_read_as_javaobj_reads_them():
    data = with_reference([("src-1", "dst-1"), ("src-2", "dst-2")], value_of_last=3)  # handle 3: "dst-1"
    expected = {str(k): str(v) for k, v in javaobj.loads(data).items()}
    assert expected == {"src-1": "dst-1", "src-2": "dst-1"}
    assert dict(zx.read_map(data).values.tolist()) == expected


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xac\xed\x00\x05\x75\x72\x00\x13[Ljava.lang.Object;" + bytes(11) + b"\x78\x70"
         + struct.pack(">i", 2**31 - 1), "a serialized array, not a java.util.HashMap"),
        (java_hashmap([("a", "b")]).replace(b"java.util.HashMap", b"java.util.TreeMap"),
         "a serialized 'java.util.TreeMap', not a java.util.HashMap"),
        (java_hashmap([("a", "b")])[:-4], "it ends inside a value"),
        (java_hashmap([("a", "b")]).replace(b"\x74\x00\x01b", b"\x70\x00\x01b"), "a value is null, not a string"),
        (java_hashmap([("a", "b")]).replace(b"\x74\x00\x01b", b"\x71\x00\x7e\x00\x01"), "refers to handle 0x7e0001"),
        (java_hashmap([("a", "b")]).replace(struct.pack(">ii", 16, 1), struct.pack(">ii", 16, 2**31 - 1)),
         "claims 2147483647 entries, more than its bytes can hold"),
    ],
)  # fmt: skip
def test_map_files_that_are_not_a_hashmap_of_strings(data, message):
    """javaobj built any object graph and the reader called str() on it; now the grammar says what it found."""
    with pytest.raises(ParseError, match=message):
        zx.read_map(data)


def test_an_array_of_two_million_nulls_inside_a_map_is_refused_at_once():
    """javaobj took 22 s to build it: here the map's value is not a string, so reading stops there."""
    array = b"\x75\x72\x00\x13[Ljava.lang.Object;" + bytes(11) + b"\x78\x70" + struct.pack(">i", 2_000_000)
    data = java_hashmap([("k", "v")])[:-5] + array + b"\x70" * 2_000_000 + b"\x78"
    with pytest.raises(ParseError, match="a value is type code 0x75, not a string"):
        zx.read_map(data)


def test_a_long_line_of_spaces_no_longer_backtracks():
    """`a<32k spaces>b<32k spaces>c` took 18 s in the pair pattern: now it is split, and refused."""
    with pytest.raises(ParseError, match="expected two ids"):
        zx.read_map(("a" + " " * 32000 + "b" + " " * 32000 + "c\n").encode())
    assert zx.read_map(b"a , b\nc=d\ne->f\ng \xe2\x86\x92 h\n").values.tolist() == [
        ["a", "b"], ["c", "d"], ["e", "f"], ["g", "h"]]  # fmt: skip


@settings(max_examples=200, deadline=1000)
@given(pairs=st.lists(st.tuples(st.text(max_size=12), st.text(max_size=12)), max_size=6),
       cuts=st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=3), truncate=st.integers(0, 400))
def test_property_java_maps_read_or_raise_parse_error(pairs, cuts, truncate):
    data = bytearray(java_hashmap(pairs))
    for at, value in cuts:
        data[at % len(data)] = value
    data = bytes(data[: len(data) - truncate % len(data)])
    try:
        df = zx.read_map(data)
    except ParseError as exc:
        assert exc.kind == "invalid_metadata"
        return
    assert list(df.columns) == ["source", "destination"]
    assert all(isinstance(v, str) for v in df["source"].tolist() + df["destination"].tolist())
    if not cuts and not truncate:
        assert dict(df.values.tolist()) == dict(pairs)


@settings(max_examples=200, deadline=1000)
@given(text=st.text(max_size=200))
def test_property_text_maps_and_id_mapper_read_or_raise_parse_error(text):
    for read in (zx.read_map, zx.read_id_mapper):
        try:
            df = read(text.encode("utf-8", "surrogatepass"))
        except ParseError as exc:
            assert exc.kind == "invalid_metadata"
            continue
        if read is zx.read_id_mapper:
            assert df.empty or df.stack().between(-(2**63), 2**63 - 1).all()
def test_pair_form_names_the_separator_parse_pairs_reads():
    from zxforensics.parse.maps import pair_form, parse_pairs

    lines = {"1257 257": "space", "1257=257": "=", "1257 -> 257": "->", "1257→257": "→", "1257, 257": ",",
             "": "blank", "  # restored": "comment", "1257 257 extra": None}  # fmt: skip
    for line, form in lines.items():
        assert pair_form(line) == form, line
        if form not in (None, "blank", "comment"):
            assert parse_pairs(line, "test") == [("1257", "257")]
