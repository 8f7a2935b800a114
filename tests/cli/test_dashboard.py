"""`zxforensics dashboard` without a browser: the copies it serves, the environment its kernels get, its
refusals, and the server process it starts and stops. tests/browser/test_dashboard.py drives the real one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import nbformat
import pytest
from sample_paths import NOTEBOOKS, SAMPLE_DATA

from zxforensics.cli import dashboard as dash
from zxforensics.errors import ZxError

# A stand-in for Voilà: records its environment and the views it was given, answers one request, exits.
FAKE_SERVER = """
import http.server, json, os, sys
root, port, record = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(record, "w") as handle:
    json.dump({"env": dict(os.environ), "views": sorted(os.listdir(root))}, handle)
class Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
http.server.HTTPServer(("127.0.0.1", port), Ok).handle_request()
"""


def injected(path) -> dict:
    notebook = nbformat.read(path, as_version=4)
    cells = [c for c in notebook.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(cells) <= 1
    return {} if not cells else dict(line.split(" = ", 1) for line in cells[0].source.splitlines() if " = " in line)


def test_copy_view_sets_the_parameters_the_notebook_declares(tmp_path):
    """The repository's notebooks default every input to None (widgets.params resolves them from the
    environment): nothing is injected, and the copy runs as the notebook does."""
    source = NOTEBOOKS / "unrestored_items.ipynb"
    before = source.read_bytes()
    target = dash.copy_view(source, tmp_path / "Unrestored items.ipynb",
                            {"backup_path": "/b", "notification": "/n.eml", "out_dir": "/o", "account": None})
    assert injected(target) == {}
    assert [c.source for c in nbformat.read(target, as_version=4).cells] == [
        c.source for c in nbformat.read(source, as_version=4).cells]
    assert source.read_bytes() == before  # the repository's notebook is untouched


def test_copy_view_leaves_a_none_default_to_the_notebook(tmp_path):
    """A parameter whose default is None is resolved by the notebook (from ZXFORENSICS_*): not injected."""
    notebook = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "language": "python",
                                                                 "display_name": "Python 3"}})  # fmt: skip
    parameters = nbformat.v4.new_code_cell("backup_path = None\ncopy_path = 'x'", metadata={"tags": ["parameters"]})
    notebook.cells = [parameters, nbformat.v4.new_code_cell("print(backup_path)")]
    nbformat.write(notebook, tmp_path / "n.ipynb")
    target = dash.copy_view(tmp_path / "n.ipynb", tmp_path / "copy.ipynb", {"backup_path": "/b", "copy_path": ""})
    assert injected(target) == {"copy_path": '""'}
    plain = dash.copy_view(tmp_path / "n.ipynb", tmp_path / "plain.ipynb", {"backup_path": "/b"})
    assert injected(plain) == {} and len(nbformat.read(plain, as_version=4).cells) == 2


def test_write_views_serves_unrestored_items_only_with_a_notification(tmp_path):
    inputs = {"backup_path": "/b", "notification": None, "out_dir": "/o"}
    assert dash.write_views(tmp_path / "a", inputs) == ["Server configuration changes", "Backup audit"]
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["Backup audit.ipynb",
                                                                  "Server configuration changes.ipynb"]  # fmt: skip
    served = dash.write_views(tmp_path / "b", {**inputs, "notification": "/n.eml"})
    assert served == list(dash.VIEWS.values())
    # inputs reach them by the environment; the unrestored items wait for Extract to be pressed
    assert {view.name: injected(view) for view in (tmp_path / "b").iterdir()} == {
        "Unrestored items.ipynb": {"extract_first": "False"}, "Server configuration changes.ipynb": {},
        "Backup audit.ipynb": {}}  # fmt: skip


def test_kernel_env_carries_the_inputs_and_drops_stale_ones():
    base = {"PATH": "/bin", "ZXFORENSICS_NOTIFICATION": "/stale.eml"}
    env = dash.kernel_env({"backup_path": "/b", "notification": None, "out_dir": "/o"}, base)
    assert env == {"PATH": "/bin", "ZXFORENSICS_BACKUP_PATH": "/b", "ZXFORENSICS_OUT_DIR": "/o"}


def test_dashboard_serves_prints_its_url_and_stops(run, monkeypatch, tmp_path, sample_path):
    record, port = tmp_path / "record.json", dash.free_port()

    def fake_voila(root, host, port_, token):
        assert (host, port_) == ("127.0.0.1", port) and len(token) >= 32
        return [sys.executable, "-c", FAKE_SERVER, str(root), str(port_), str(record)]

    monkeypatch.setattr(dash, "voila_command", fake_voila)
    out = tmp_path / "eml"
    notification = SAMPLE_DATA / "notifications/restore_report.eml"
    code, text, err = run("dashboard", "backup_path", str(sample_path), "notification", str(notification),
                          "out", str(out), "port", str(port))  # fmt: skip
    assert code == 0, err
    url = next(line for line in text.splitlines() if line.startswith(dash.URL_PREFIX)).removeprefix(dash.URL_PREFIX)
    assert url.startswith(f"http://127.0.0.1:{port}/?token=")
    assert f"Extracted .eml files go to: {out}" in text and text.rstrip().endswith("dashboard stopped")
    seen = json.loads(record.read_text())
    assert seen["views"] == sorted(f"{title}.ipynb" for title in dash.VIEWS.values())
    assert seen["env"]["ZXFORENSICS_BACKUP_PATH"] == str(sample_path)
    assert seen["env"]["ZXFORENSICS_OUT_DIR"] == str(out)
    assert out.is_dir() and not any(out.iterdir())


def test_dashboard_refusals(run, tmp_path, sample_path):
    code, _, err = run("dashboard", "backup_path", str(sample_path), "out", str(sample_path / "eml"))
    assert code == 2 and "refusing to write into the backup path" in err
    assert not (sample_path / "eml").exists()
    code, _, err = run("dashboard", "backup_path", str(sample_path), "notification", str(tmp_path / "none.eml"))
    assert code == 2 and "no such file" in err
    code, _, err = run("dashboard", "backup_path", str(tmp_path))
    assert code == 2 and "backup path" in err


def test_stop_server_ends_the_group_and_kills_what_ignores_sigterm():
    stubborn = "import signal, subprocess, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); " \
               "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); print('up', flush=True); " \
               "time.sleep(60)"  # fmt: skip
    server = dash.start_server([sys.executable, "-c", stubborn], dict(os.environ), subprocess.PIPE)
    assert server.stdout.readline() == b"up\n"
    assert os.getpgid(server.pid) == server.pid  # the leader of its own group
    started = time.monotonic()
    dash.stop_server(server, timeout=1)
    assert server.returncode == -signal.SIGKILL and time.monotonic() - started < 10
    deadline = time.monotonic() + 10  # its child went with it (once init has reaped it)
    while time.monotonic() < deadline and group_alive(server.pid):
        time.sleep(0.05)
    assert not group_alive(server.pid)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_wait_until_serving_reports_a_server_that_exits():
    server = dash.start_server([sys.executable, "-c", "raise SystemExit(3)"], dict(os.environ))
    with pytest.raises(ZxError, match="exited with code 3"):
        dash.wait_until_serving(server, f"http://127.0.0.1:{dash.free_port()}/", timeout=30)
