"""A store from a structure report: it probes the same as the store the report was taken from, and
every spelling the generator knows is understood by the probe and read by the kit without an error."""

from __future__ import annotations

import pytest

import zxforensics as zx
from zxforensics.errors import InvalidArgument
from zxforensics.format.keys import STATE_FIELDS
from zxforensics.investigate.probe import probe
from zxforensics.investigate.probe_report import signature
from zxforensics.sample.from_report import build_from_report, load_report
from zxforensics.sample.report_values import raw_key
from zxforensics.sample.spellings import SPELLINGS, respell, synonym_fields, understood_only

SMALL_BLOBS = 8 << 20
SERVER_KINDS = ("server archives", "config.json", "ldap.ldif", "customizations")


@pytest.fixture(scope="module")
def sample_structure(sample_path) -> dict:
    return probe(zx.open_backup(sample_path, max_blob_size=SMALL_BLOBS), sample="all").structure


@pytest.fixture(scope="module")
def base_structure(sample_path) -> dict:
    """What the kit understood of a sample of the sample, server archives aside (they are slow to make
    and have no spelling of their own): where every spelling starts."""
    doc = understood_only(probe(zx.open_backup(sample_path, max_blob_size=SMALL_BLOBS), sample=20).structure)
    for kind in SERVER_KINDS:
        doc["kinds"].pop(kind)
    return doc


def test_a_store_regenerated_from_the_report_probes_the_same(sample_structure, tmp_path):
    path = build_from_report(sample_structure, tmp_path / "again")
    again = probe(zx.open_backup(path, max_blob_size=SMALL_BLOBS), sample="all")
    assert signature(again.structure) == signature(sample_structure)
    # the faults of the sample that are shapes come back: the wrong-shape item files, the unexpected places
    assert again.files.query("status == 'not_understood'")["kind"].tolist().count("item metadata") == 2
    assert len(again.unexpected) == sum(place["count"] for place in sample_structure["unexpected"]) == 4


def test_a_report_of_a_sample_regenerates_the_same_shapes(sample_path, tmp_path):
    report = probe(zx.open_backup(sample_path, max_blob_size=SMALL_BLOBS), sample=30)
    path = build_from_report(report.to_json() and report.structure, tmp_path / "again", seed=5)
    again = probe(zx.open_backup(path), sample="all")
    assert signature(again.structure) == signature(report.structure)
    assert again.understood == report.understood


def test_report_read_from_its_file(sample_structure, tmp_path):
    import orjson

    file = tmp_path / "structure.json"
    file.write_bytes(orjson.dumps(sample_structure))
    assert load_report(file) == sample_structure
    (tmp_path / "other.json").write_bytes(b'{"format": "something else"}')
    (tmp_path / "broken.json").write_bytes(b"{")
    for bad in ("other.json", "broken.json"):
        with pytest.raises(InvalidArgument, match="structure report"):
            load_report(tmp_path / bad)
    with pytest.raises(FileExistsError):
        build_from_report(sample_structure, tmp_path)  # holds structure.json: not a new folder


@pytest.mark.parametrize("spelling", sorted(SPELLINGS))
def test_every_spelling_is_understood_and_read(base_structure, spelling, tmp_path):
    path = build_from_report(base_structure, tmp_path / "store", spelling=spelling)
    store = zx.open_backup(path, workers=1)
    report = probe(store, sample="all")
    assert report.understood, (report.verdict, report.files.head().to_dict("records"))
    states = store.item_states()
    store.import_maps()
    for account in store.accounts()["account_id"]:
        store.id_mapper(account)
    assert len(states) > 0 and store.errors.empty, store.errors.head().to_dict("records")
    # the keys as respelled, each with the shapes the spelling gives it (styles and derived forms aside)
    assert keys_and_shapes(report.structure) == keys_and_shapes(respell(base_structure, spelling))


def keys_and_shapes(structure: dict) -> dict:
    return {kind: {scope: {key: value[3] for key, value in keys.items()} for scope, keys in body["keys"].items()}
            for kind, body in signature(structure)["kinds"].items()}  # fmt: skip


def test_spellings_show_in_the_probe(base_structure, tmp_path):
    def forms(spelling: str) -> dict:
        report = probe(zx.open_backup(build_from_report(base_structure, tmp_path / spelling.replace("/", "_"),
                                                         spelling=spelling)), sample="all")  # fmt: skip
        keys = report.keys[report.keys["kind"] == "item metadata"].set_index("field")
        return {"styles": set(report.spellings.query("aspect == 'key style'")["form"]), "keys": keys}

    assert "snake_case" in forms("snake_case")["styles"]
    assert forms("iso")["keys"].loc["start_date", "shape"].startswith("str:iso len 20")
    assert forms("epoch_s")["keys"].loc["start_date", "shape"].startswith("int:epoch_s ")
    assert forms("type_code")["keys"].loc["type", "shape"].startswith("int:type_code")
    assert "str:bool_text" in forms("bool_text")["keys"].loc["deleted", "shape"]


def test_synonyms_are_the_readers_own():
    for synonym, canonical in synonym_fields().items():
        assert STATE_FIELDS[synonym] == STATE_FIELDS[canonical]


def test_raw_key_of_a_hidden_key_is_hidden_again():
    from zxforensics.investigate.probe_report import Anonymiser

    shown = Anonymiser(b"x").key("a.b@c")
    made = raw_key(shown)
    assert len(made) == 5 and Anonymiser(b"y").key(made).startswith("<key len=5 ")
    assert raw_key("startDate") == "startDate"
    with pytest.raises(InvalidArgument, match="unknown spelling"):
        respell({"kinds": {}}, "klingon")
