"""`zxforensics report`: its parameters reach run_report, it prints the paths, and it refuses bad outputs.

The report itself runs once, in test_report.py; here run_report is replaced where only the wiring is tested.
"""

from __future__ import annotations

from pathlib import Path

from zxforensics.report import run as report


def test_parameters_reach_run_report_and_paths_are_printed(run, monkeypatch, tmp_path, sample_path):
    calls = []

    def fake(backup_path, out_dir, **options):
        calls.append((backup_path, out_dir, options))
        return report.ReportFiles(html=Path(out_dir) / "report.html", manifest=Path(out_dir) / "run_manifest.json")

    monkeypatch.setattr(report, "run_report", fake)
    out = tmp_path / "r"
    code, text, _ = run(
        "--force", "--tz", "Europe/Rome", "report", "backup_path", str(sample_path), "notification", "n.eml",
        "out", str(out), "date_a", "25/02/2014 04:01:14", "date_b", "last", "title", "Case 42",
    )  # fmt: skip
    assert code == 0
    assert calls == [(str(sample_path), str(out), {
        "notification": "n.eml", "date_a": "25/02/2014 04:01:14", "date_b": "last", "title": "Case 42",
        "tz": "Europe/Rome", "force": True,
    })]  # fmt: skip
    lines = text.splitlines()
    assert lines[0].strip() == "report"
    assert lines[1].split() == ["html", str(out / "report.html")]
    assert lines[2].split() == ["manifest", str(out / "run_manifest.json")]
    code, text, _ = run("--json", "report", "backup_path", str(sample_path), "out", str(out))
    assert code == 0 and f'"path":"{out}/report.html"' in text.replace(" ", "").replace("\\/", "/")
    assert calls[-1][2]["force"] is False and calls[-1][2]["title"] == "Recovery report"
    code, _, _ = run("report", "backup_path", str(sample_path), "out", str(out), "scheduler", "tcp://sched:8786")
    assert code == 0 and calls[-1][2]["scheduler"] == "tcp://sched:8786"


def test_refusals(run, tmp_path, sample_path):
    code, _, err = run("report", "backup_path", str(sample_path))
    assert code == 2 and "requires more parameters: out DIR" in err
    code, _, err = run("report", "backup_path", str(sample_path), "out", str(sample_path / "report"))
    assert code == 2 and "refusing to write into the backup path" in err
    used = tmp_path / "used"
    used.mkdir()
    (used / "report.html").write_text("an earlier report")
    code, _, err = run("report", "backup_path", str(sample_path), "out", str(used))
    assert code == 2 and "is not empty (use --force to replace a report)" in err
    assert (used / "report.html").read_text() == "an earlier report"
    code, _, err = run("report", "backup_path", str(sample_path), "out", str(tmp_path / "new"), "notification",
                       str(tmp_path / "nowhere.txt"))  # fmt: skip
    assert code == 2 and "nowhere.txt: no such file" in err
    assert not (sample_path / "report").exists()


def test_help_lists_the_verbs(run):
    code, text, _ = run("help", "report")
    assert code == 0 and "notification(O)" in text and "--force" in text
    code, text, _ = run("help")
    assert "  zxforensics report " in text and "  zxforensics timeline " in text
