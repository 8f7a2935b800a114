"""Import maps: the Java-serialized `map_*` (javaobj-py3), its text form, and `id_mapper.log`."""

from __future__ import annotations

import javaobj.v2 as javaobj
import pytest
from evidence_snapshot import read_evidence

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
