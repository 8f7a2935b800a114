"""`probe` and `make-sample from_report`: the verdict first, the structure report written safely, exit codes."""

from __future__ import annotations

import orjson

import zxforensics as zx


def test_probe_prints_the_verdict_and_writes_the_structure_report(run, tmp_path):
    out = tmp_path / "structure.json"
    code, text, err = run("probe", "backup_path", "SAMPLE", "sample", "20", "out", out)
    assert code == 1 and not err  # the sample holds a file in an unexpected place: a finding
    lines = text.splitlines()
    verdict = lines[0].split(None, 1)
    assert verdict[0] == "verdict" and verdict[1].startswith("understood 100% of the ")
    assert "1 file or folder in an unexpected place" in verdict[1]
    assert verdict[1].endswith("(a random sample of up to 20 files per kind)")
    assert any(line.split()[:2] == ["item", "metadata"] and "read 20 of" in line for line in lines)
    assert "server/customizations_28_02_14#04_01_14 (copy).tar.gz" in text
    doc = orjson.loads(out.read_bytes())
    assert doc["sample"] == 20 and doc["verdict"] == lines[0].split(None, 1)[1]
    code, _text, err = run("probe", "backup_path", "SAMPLE", "sample", "20", "out", out)
    assert code == 2 and "refusing to overwrite" in err
    code, _text, err = run("--force", "probe", "backup_path", "SAMPLE", "sample", "20", "out", out)
    assert code == 1 and not err


def test_probe_json_frame_and_bad_input(run, sample_path):
    code, text, _err = run("--json", "probe", "backup_path", "SAMPLE", "sample", "5")
    kinds = {row["kind"]: row for row in orjson.loads(text)}
    assert code == 1 and kinds["item metadata"]["read"] == 5 and kinds["backupstat"]["understood"] == 1
    code, _text, err = run("probe", "backup_path", "SAMPLE", "sample", "some")
    assert code == 2 and "sample must be a number of files or `all`" in err
    code, _text, err = run("probe", "backup_path", "SAMPLE", "out", sample_path / "structure.json")
    assert code == 2 and "backup path" in err


def test_probe_of_a_generated_store_exits_0(run, tmp_path):
    path = zx.generate_store(tmp_path / "gen", accounts=2, items_per_account=5, seed=2)
    code, text, _err = run("probe", "backup_path", path, "sample", "all")
    assert code == 0 and text.splitlines()[0].split(None, 1)[1].startswith("understood 100% of the ")


def test_make_sample_from_a_report(run, tmp_path):
    report = tmp_path / "structure.json"
    assert run("probe", "backup_path", "SAMPLE", "sample", "10", "out", report)[0] == 1
    code, text, err = run("make-sample", tmp_path / "again", "from_report", report, "seed", "3")
    assert code == 0 and not err and "sample store written" in text
    places = sum(place["count"] for place in orjson.loads(report.read_bytes())["unexpected"])
    code, text, _err = run("probe", "backup_path", tmp_path / "again", "sample", "all")
    assert code == 1 and f"{places} files or folders in unexpected places" in text
    code, _text, err = run("make-sample", tmp_path / "snake", "from_report", report, "spelling", "snake_case")
    assert code == 0 and run("probe", "backup_path", tmp_path / "snake", "sample", "all")[0] == 0
    code, _text, err = run("make-sample", tmp_path / "x", "from_report", report, "spelling", "klingon")
    assert code == 2 and "unknown spelling" in err
    code, _text, err = run("make-sample", tmp_path / "y", "from_report", tmp_path / "again" / "backupstat")
    assert code == 2 and "not a structure report" in err
