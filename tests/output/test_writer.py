"""The one way the kit writes: inside the output folder, never through a link, never over a file."""

from __future__ import annotations

import os

import pytest

from zxforensics.errors import OutputError
from zxforensics.output import OutputDir, safe_name, unsafe_reason


@pytest.fixture
def evidence(tmp_path):
    root = tmp_path / "evidence"
    (root / "items").mkdir(parents=True)
    (root / "backupstat").write_text("{}")
    return root


def test_writes_inside_and_never_over_a_file(tmp_path, evidence):
    out = OutputDir(tmp_path / "out", [evidence])
    path = out.write_bytes("a", "b.eml", data=b"x")
    assert path == tmp_path / "out" / "a" / "b.eml" and path.read_bytes() == b"x"
    with pytest.raises(OutputError, match="refusing to overwrite"):
        out.write_bytes("a", "b.eml", data=b"y")
    assert out.write_bytes("a", "b.eml", data=b"z", replace=True).read_bytes() == b"z"
    assert out.append_text("m.csv", text="h\n") is True and out.append_text("m.csv", text="r\n") is False
    assert (tmp_path / "out" / "m.csv").read_text() == "h\nr\n"


def test_an_output_inside_the_evidence_is_refused(evidence):
    with pytest.raises(OutputError, match="inside"):
        OutputDir(evidence / "out", [evidence])
    with pytest.raises(OutputError, match="inside"):
        OutputDir(evidence.parent, [evidence]).write_bytes("evidence", "x", data=b"")  # a parent may hold it


def test_links_planted_in_the_output_are_never_followed(tmp_path, evidence):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "manifest.csv").symlink_to(evidence / "backupstat")
    (out_dir / "alice@example.com").symlink_to(evidence / "items", target_is_directory=True)
    os.mkfifo(out_dir / "fifo.csv")
    os.link(evidence / "backupstat", out_dir / "hard.csv")
    out = OutputDir(out_dir, [evidence])
    with pytest.raises(OutputError, match="link"):
        out.append_text("manifest.csv", text="row\n")
    with pytest.raises(OutputError, match="link"):
        out.write_bytes("alice@example.com", "1.eml", data=b"x")
    with pytest.raises(OutputError, match="FIFO"):
        out.append_text("fifo.csv", text="row\n")
    with pytest.raises(OutputError, match="hard links"):
        out.append_text("hard.csv", text="row\n")
    with pytest.raises(OutputError, match="overwrite"):
        out.write_bytes("manifest.csv", data=b"x")
    out.remove("alice@example.com")  # the link itself goes, never its target
    assert (evidence / "backupstat").read_text() == "{}" and (evidence / "items").is_dir()
    assert os.listdir(evidence / "items") == []


def test_an_atomic_write_appears_whole_or_not_at_all_and_replaces_a_link_not_its_target(tmp_path, evidence):
    out_dir = tmp_path / "out"
    (out_dir / "parts").mkdir(parents=True)
    target = out_dir / "parts" / "manifest.json"
    target.symlink_to(evidence / "backupstat")
    out = OutputDir(out_dir, [evidence])
    with out.open_atomic("parts", "manifest.json") as handle:
        handle.write(b"new")
        assert os.path.islink(target)  # nothing at the name until the write is whole
    assert target.read_bytes() == b"new" and not os.path.islink(target)
    assert (evidence / "backupstat").read_text() == "{}"
    with pytest.raises(RuntimeError), out.open_atomic("parts", "manifest.json") as handle:
        handle.write(b"half")
        raise RuntimeError("killed mid-write")
    assert os.listdir(out_dir / "parts") == ["manifest.json"] and target.read_bytes() == b"new"  # no temporary left
    inside = OutputDir(evidence.parent, [evidence])
    with pytest.raises(OutputError, match="inside"), inside.open_atomic("evidence", "x"):
        pass


@pytest.mark.parametrize("name", ["../../../../tmp/x", "/tmp/x", "..", ".hidden", "a\0b", "a\\b", "x" * 256,
                                  "con", "bell\x07", "", "trailing."])
def test_unsafe_names_fall_back(name):
    assert unsafe_reason(name) is not None
    assert safe_name(name, "id-1") == "id-1"


def test_names_that_differ_only_in_case_fall_back():
    taken: set[str] = set()
    assert safe_name("Alice@example.com", "id-1", taken) == "Alice@example.com"
    assert safe_name("alice@EXAMPLE.com", "id-2", taken) == "id-2"
    assert safe_name("ünïcode@exämple.com", "id-3", taken) == "ünïcode@exämple.com"
