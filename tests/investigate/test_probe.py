"""The probe: what the kit understood of a store, kind by kind, and where files lie that FORMAT.md does not describe."""

from __future__ import annotations

import orjson
import pytest

import zxforensics as zx
from zxforensics.errors import InvalidArgument
from zxforensics.format import layout
from zxforensics.investigate.probe import probe, sample_size
from zxforensics.investigate.probe_report import signature
from zxforensics.sample.audit_cases import CASE_MISMATCH_ITEM
from zxforensics.sample.catalog import account_id
from zxforensics.sample.faults import FAULTS

SMALL_BLOBS = 8 << 20  # the sample's gzip bomb stops at this limit, not at 512 MiB


@pytest.fixture(scope="module")
def sample_report(sample_path):
    return probe(zx.open_backup(sample_path, max_blob_size=SMALL_BLOBS), sample="all")


def _faults(where: str, kinds: tuple[str, ...]) -> set[tuple[str, int]]:
    return {(account_id(mail), item) for (mail, item), (kind, place) in FAULTS.items()
            if place == where and kind in kinds}  # fmt: skip


def test_sample_all_names_each_fault_of_the_sample(sample_report):
    files = sample_report.files
    items = files[files["kind"] == "item metadata"]
    found = {
        (p.split("/")[1], int(p.rsplit("/", 1)[1])): s for p, s in zip(items["path"], items["status"], strict=True)
    }
    # JSON of the wrong shape is a format the kit does not read; JSON cut short, a folder, a link out are damage
    assert {k for k, s in found.items() if s == "not_understood"} == _faults("metadata", ("invalid_metadata",))
    assert {k for k, s in found.items() if s == "unreadable"} == _faults(
        "metadata", ("invalid_json", "not_regular_file", "link_outside")
    )
    blobs = files[files["kind"] == "blobs"].set_index("status")["detail"].groupby(level=0).apply(
        lambda d: sorted(x.split(":")[0] for x in d))  # fmt: skip
    assert blobs["not_understood"] == ["digest_mismatch", "not_gzip"]
    assert blobs["unreadable"] == ["link_outside", "too_large", "truncated_gzip"]
    kinds = sample_report.kinds.set_index("kind")
    assert kinds.loc["item metadata", "understood_pct"] == "99.7%"
    assert kinds.loc["account_info", "understood"] == kinds.loc["account_info", "found"] == 10
    assert (kinds.loc[["backupstat", "account_stat", "config.json", "ldap.ldif"], "understood_pct"] == "100%").all()
    assert sample_report.verdict.startswith("understood 99.7% of item metadata files; understood 99.6% of blobs;")


def test_sample_all_unexpected_places_are_the_misplaced_files(sample_report):
    places = sample_report.unexpected
    assert len(places) == 4
    alice = account_id("alice@example.com")
    assert f"{layout.ACCOUNTS_DIR}/{alice}/items/42/4241" in set(places["path"])  # the misfiled item
    blob_rows = places[places["path"].str.startswith("items/")]
    assert len(blob_rows) == 2 and set(blob_rows["why"]) == {"misplaced: a blob under another prefix folder"}
    case_prefix = [p for p in blob_rows["path"] if p.split("/")[1].lower() == p.split("/")[2][:2].lower()]
    assert len(case_prefix) == 1, f"the blob of {CASE_MISMATCH_ITEM} sits under a prefix of the other case"
    server = places[places["path"].str.startswith("server/")]
    assert list(server["path"]) == ["server/customizations_28_02_14#04_01_14 (copy).tar.gz"]


def test_keys_status_spelling_and_shapes(sample_report):
    keys = sample_report.keys.set_index(["kind", "scope", "key"])
    start = keys.loc[("item metadata", "state", "startDate")]
    assert (start["status"], start["field"], start["style"], start["unread"]) == ("used", "start_date", "camelCase", 0)
    assert start["shape"].startswith("int:epoch_ms ")
    assert keys.loc[("item metadata", "state", "digest"), "shape"].startswith("str:digest_sha256 len 44")
    assert keys.loc[("account_info", "object", "uid"), "status"] == "kept"  # an LDAP attribute the kit keeps
    assert keys.loc[("account_info", "object", "zimbraCreateTimestamp"), "shape"].startswith("str:ldap_time")
    assert keys.loc[("backupstat", "object", "numCheckedAccounts"), "status"] == "known"
    # the wrong-shape fault files bring keys the kit does not know, and they are listed first
    unknown = sample_report.keys[sample_report.keys["status"] == "unknown"]
    assert set(zip(unknown["scope"], unknown["key"], strict=True)) == {
        ("file", "item"),
        ("file", "note"),
        ("non_object_state", "int"),
    }
    assert list(sample_report.keys["status"][: len(unknown)]) == ["unknown"] * len(unknown)
    assert sample_report.never_seen.values.tolist() == [["item metadata", "tags"]]
    spellings = sample_report.spellings.set_index(["kind", "aspect", "form"])["count"]
    assert spellings[("map files", "encoding", "java serialization")] == 1
    assert spellings[("id_mapper.log", "line", "space")] == 5
    assert spellings[("blobs", "gzip layers", "2")] == 1  # the double-gzipped blob


def test_default_sample_is_bounded_seeded_and_deterministic(sample_path):
    store = zx.open_backup(sample_path, max_blob_size=SMALL_BLOBS)
    first, again = probe(store, sample=25), probe(zx.open_backup(sample_path, max_blob_size=SMALL_BLOBS), sample=25)
    kinds = first.kinds.set_index("kind")
    assert kinds.loc["item metadata", "sampled"] == kinds.loc["blobs", "sampled"] == 25
    assert kinds.loc["item metadata", "found"] >= 100 and "item folders" in kinds.loc["item metadata", "coverage"]
    assert first.to_json() == again.to_json()  # the same store, sample and seed: the same bytes
    other = probe(store, sample=25, seed=7)
    assert set(other.files["path"]) != set(first.files["path"]) or other.to_json() != first.to_json()
    assert first.verdict.endswith("(a random sample of up to 25 files per kind)")


def test_generated_store_is_understood_entirely(tmp_path):
    path = zx.generate_store(tmp_path / "gen", accounts=3, items_per_account=30, seed=3)
    report = probe(zx.open_backup(path), sample="all")
    assert report.understood
    kinds = report.kinds.set_index("kind")
    assert kinds.loc["item metadata", "understood"] == 90 and kinds.loc["blobs", "understood"] > 0
    assert report.verdict == f"understood 100% of the {kinds['read'].sum()} files read (every file)"
    assert report.unexpected.empty and report.files.empty


def _rewrite_items(root, account: str, change) -> tuple[int, int]:
    """Rewrite every state of an account's item files (a test's own store); returns (files, states)."""
    folder = root / layout.ACCOUNTS_DIR / account / layout.ITEMS_DIR
    files = states = 0
    for path in sorted(folder.glob("*/*")):
        doc = orjson.loads(path.read_bytes())
        path.write_bytes(orjson.dumps([change(dict(state)) for state in doc]))
        files, states = files + 1, states + len(doc)
    return files, states


def test_names_renamed_and_extra_keys_unknown_files_and_a_new_date_format(tmp_path):
    root = tmp_path / "odd"
    zx.generate_store(root, accounts=4, items_per_account=10, seed=4)
    accounts = sorted(p.name for p in (root / "accounts").iterdir())
    renamed, _states = _rewrite_items(root, accounts[0], lambda s: {("validFrom" if k == "startDate" else k): v
                                                           for k, v in s.items()})  # fmt: skip
    _rewrite_items(root, accounts[1], lambda s: {**s, "priority": 3})
    redated_files, redated = _rewrite_items(root, accounts[2], lambda s: {**s, "date": "2014.01.20 10:00:00"})
    for account in accounts:  # revision is renamed everywhere: a known key never seen
        _rewrite_items(root, account, lambda s: {("rev" if k == "revision" else k): v for k, v in s.items()})
    stat = root / "accounts" / accounts[3] / "account_stat"
    stat.write_bytes(orjson.dumps({**orjson.loads(stat.read_bytes()), "quota": 1024}))
    for rel in ("NOTES.txt", f"accounts/{accounts[3]}/extra.json", "items/ab/not-a-digest", "server/readme"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"x\n")
    report = probe(zx.open_backup(root), sample="all")
    keys = report.keys.set_index(["kind", "key"])
    for kind, key in (("item metadata", "validFrom"), ("item metadata", "priority"), ("item metadata", "rev"),
                      ("account_stat", "quota")):  # fmt: skip
        assert keys.loc[(kind, key), "status"] == "unknown", key
    date = keys.loc[("item metadata", "date")]
    assert date["unread"] == redated and "str:unread len 19 like 9999.99.99 99:99:99" in date["shape"]
    assert ["item metadata", "revision"] in report.never_seen.values.tolist()
    assert set(report.unexpected["path"]) == {"NOTES.txt", f"accounts/{accounts[3]}/extra.json",
                                              "items/ab/not-a-digest", "server/readme"}  # fmt: skip
    kinds = report.kinds.set_index("kind")
    # no start date, or a date the tolerant parse cannot read: no state the kit keeps (it drops the state)
    assert kinds.loc["item metadata", "not_understood"] == renamed + redated_files
    assert kinds.loc["item metadata", "understood"] == 0  # `rev` is in every file
    for phrase in ("3 unknown keys in item metadata", "1 key of item metadata with values the kit does not read",
                   "1 unknown key in account_stat", "4 files or folders in unexpected places"):  # fmt: skip
        assert phrase in report.verdict
    assert not report.understood


def test_account_archives_are_probed_like_folders(tmp_path):
    from zxforensics.sample.from_report import build_from_report

    base = probe(zx.open_backup(zx.generate_store(tmp_path / "gen", accounts=3, items_per_account=6, seed=1)), "all")
    doc = base.structure
    doc["kinds"]["account_info"]["forms"]["stored as"] = {"folder": 2, "archive": 1}
    path = build_from_report(doc, tmp_path / "mixed")
    assert len(list((path / "accounts").glob("*.tar.gz"))) >= 1
    report = probe(zx.open_backup(path), sample="all")
    assert report.understood, report.verdict
    forms = report.spellings.set_index(["aspect", "form"])["count"]
    assert forms[("stored as", "archive")] >= 1 and forms[("stored as", "folder")] >= 1


def test_sample_size():
    assert sample_size("all") is None and sample_size(None) is None and sample_size("12") == 12
    for bad in ("0", "some", -3):
        with pytest.raises(InvalidArgument):
            sample_size(bad)


def test_signature_ignores_counts_and_hashes(sample_report):
    doc = orjson.loads(sample_report.to_json())
    doc["kinds"]["item metadata"]["keys"]["state"]["startDate"]["count"] = 1
    hashed = next(place for place in doc["unexpected"] if " h:" in place["path"])
    hashed["path"] = hashed["path"].split(" h:")[0] + " h:00000000>"  # another store's key
    assert signature(doc) == signature(sample_report.structure)
    doc["kinds"]["item metadata"]["keys"]["state"]["startDate"]["shape"] = {"str:iso": {"count": 1}}
    assert signature(doc) != signature(sample_report.structure)


def test_an_empty_store_and_a_fifo(make_store):
    import os

    builder = make_store()
    (builder.root / "accounts").mkdir()
    assert probe(zx.open_backup(builder.root), sample="all").verdict == (
        "found no file of a kind the kit reads (every file)")  # fmt: skip
    (builder.root / "items" / "ab").mkdir(parents=True)
    os.mkfifo(builder.root / "items" / "ab" / "fifo")  # never opened: a FIFO would block a plain read
    report = probe(zx.open_backup(builder.root), sample="all")
    assert report.unexpected.values.tolist() == [
        ["items/ab/fifo", "other", "not a blob: its name is not a digest (FORMAT.md §2)"]]  # fmt: skip
