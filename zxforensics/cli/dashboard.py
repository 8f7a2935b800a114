"""`dashboard`: the unrestored-items, config-diff and audit notebooks as a web app with no code shown (Voilà).

The notebooks run in Voilà's kernels exactly as in JupyterLab: they open the store read-only, and the only
files written are the `.eml` extractions, into the `out` folder given here. The inputs reach the kernels
through `ZXFORENSICS_BACKUP_PATH`, `ZXFORENSICS_NOTIFICATION` and `ZXFORENSICS_OUT_DIR`, set on the server.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from ..errors import ZxError
from ..format.layout import BACKUP_PATH_ENV, NOTIFICATION_ENV, OUT_DIR_ENV
from ..output import OutputDir
from ..store.backup import resolve_backup_path
from .common import BACKUP_PATH, backup_path
from .registry import Param, Result, verb

# notebook -> the title a person reads on the landing page (the served copy's file name)
VIEWS = {
    "unrestored_items.ipynb": "Unrestored items",
    "server_config_diff.ipynb": "Server configuration changes",
    "backup_audit.ipynb": "Backup audit",
}
NEEDS_NOTIFICATION = "unrestored_items.ipynb"
# what the served copies are given besides the inputs: a page opened writes nothing by itself (Extract waits
# for a person to press it)
APP_PARAMETERS = {"extract_first": False}
URL_PREFIX = "Dashboard: "  # the line a script (or the browser test) reads the URL from
START_TIMEOUT = 60.0


@verb(
    "dashboard",
    (),
    {"backup_path": BACKUP_PATH, "notification": Param("path", None, help="restore notification (.txt or .eml)"),
     "out": Param("path", None, help="folder for extracted .eml (default: a new temporary folder)"),
     "port": Param("int", 8866, help="TCP port"), "host": Param("string", "127.0.0.1", help="address to bind")},
    help="Serve the unrestored-items (with a notification), server-configuration and audit views as a web app\n"
    "(Voilà: no code shown). Prints its URL with an access token; Ctrl-C stops it. Read-only on the backup\n"
    "path; Extract writes only into `out`, e.g.\n"
    "zxforensics dashboard backup_path /mnt/import notification restore.eml out /cases/42/eml",
)
def dashboard(values: dict, options: dict) -> Result:
    given = backup_path(values)
    backup = resolve_backup_path(given)
    notification = values["notification"]
    if notification and not Path(notification).is_file():
        raise ZxError(f"notification {notification}: no such file")
    out = OutputDir(values["out"] or tempfile.mkdtemp(prefix="zxforensics-dashboard-"), [given, backup]).root
    inputs = {"backup_path": str(backup), "notification": str(Path(notification).resolve()) if notification else None,
              "out_dir": str(out)}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="zxforensics-views-") as views:
        served = write_views(Path(views), inputs)
        token = secrets.token_urlsafe(24)
        url = f"http://{values['host']}:{values['port']}/?token={token}"
        env = kernel_env(inputs)  # progress bars draw in Voilà too, and leave nothing once done (runtime.progress)
        banner = [f"{URL_PREFIX}{url}", f"Views: {', '.join(served)}", f"Extracted .eml files go to: {out}",
                  "Ctrl-C stops it."]  # fmt: skip
        serve(voila_command(Path(views), values["host"], values["port"], token), env, url, banner)
    return Result(text="dashboard stopped")


def write_views(folder: Path, inputs: dict[str, str | None]) -> list[str]:
    """The views to serve, copied into `folder` under their titles; unrestored items only with a notification."""
    from ..report.run import find_notebook

    source = find_notebook().parent
    folder.mkdir(parents=True, exist_ok=True)
    served = []
    for name, title in VIEWS.items():
        if name == NEEDS_NOTIFICATION and not inputs.get("notification"):
            continue
        copy_view(source / name, folder / f"{title}.ipynb", {**inputs, **APP_PARAMETERS})
        served.append(title)
    return served


def copy_view(source: Path, target: Path, parameters: dict) -> Path:
    """A copy of a notebook with `parameters` injected (papermill's way: a cell after the `parameters` one).

    Only parameters the notebook declares with a value of its own are set: a `None` default is the
    notebook's to resolve (from the ZXFORENSICS_* environment variables), and nothing is executed."""
    import nbformat
    import papermill as pm

    papermill_log = logging.getLogger("papermill")
    level = papermill_log.level
    papermill_log.setLevel(logging.ERROR)  # it warns of every comment it cannot read as a help text
    try:
        declared = pm.inspect_notebook(str(source))
    finally:
        papermill_log.setLevel(level)
    given = {k: v for k, v in parameters.items() if k in declared and declared[k]["default"] != "None"}
    notebook = pm.iorw.load_notebook_node(str(source))
    if given:
        notebook = pm.parameterize.parameterize_notebook(notebook, given)
    nbformat.write(notebook, str(target))
    return target


def kernel_env(inputs: dict[str, str | None], base: dict[str, str] | None = None) -> dict[str, str]:
    """A server's environment (`base`, else ours), which its kernels inherit, with the inputs as ZXFORENSICS_*."""
    names = {"backup_path": BACKUP_PATH_ENV, "notification": NOTIFICATION_ENV, "out_dir": OUT_DIR_ENV}
    env = {k: v for k, v in (os.environ if base is None else base).items() if k not in names.values()}
    env.update({names[k]: v for k, v in inputs.items() if v})
    return env


def voila_command(root: Path, host: str, port: int, token: str) -> list[str]:
    """Voilà on `root`'s notebooks; kernels talk over Unix sockets (no TCP port, no warning about it), and
    only errors are logged (not the 404s of its landing page or the unsigned copies)."""
    return [sys.executable, "-m", "voila", str(root), "--no-browser", f"--Voila.ip={host}", f"--Voila.port={port}",
            "--Voila.port_retries=0", f"--Voila.token={token}", "--Voila.log_level=ERROR",
            "--KernelManager.transport=ipc"]  # fmt: skip


# -- a server process: its own process group, stopped by group --------------------------------
def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on now (the server gets it a moment later)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def start_server(command: list[str], env: dict[str, str], log=None) -> subprocess.Popen:
    """Start a server as the leader of a new process group, so that it and its children stop together."""
    try:
        return subprocess.Popen(command, env=env, start_new_session=True, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT if log else None)  # fmt: skip
    except OSError as exc:
        raise ZxError(f"cannot start {command[0]}: {exc}") from None


def wait_until_serving(server: subprocess.Popen, url: str, timeout: float = START_TIMEOUT) -> None:
    """Poll `url` until the server answers; a server that exits or stays silent is an error."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise ZxError(f"the server exited with code {server.returncode} before serving {url.split('?')[0]}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise ZxError(f"the server did not answer at {url.split('?')[0]} within {timeout:.0f} s")


def serve(command: list[str], env: dict[str, str], url: str, banner: list[str]) -> None:
    """Run a server until Ctrl-C, SIGTERM or its own exit, printing `banner` once it answers at `url`;
    whatever ends the wait, the server is stopped (by process group) before this returns. SIGINT is
    caught even where it came ignored (a background job of a script), so that `kill -INT` stops it too."""
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    server = None
    try:
        server = start_server(command, env)
        wait_until_serving(server, url)
        print("\n".join(banner), flush=True)
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        if server is not None:
            stop_server(server)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _interrupt(_signum, _frame) -> None:
    raise KeyboardInterrupt


def stop_server(server: subprocess.Popen, timeout: float = 20.0) -> None:
    """SIGTERM to the server's process group (it shuts its kernels down), SIGKILL after `timeout`.

    Only a server still running is signalled: a group whose leader is gone is not ours to guess at."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if server.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, sig)
        try:
            server.wait(timeout)
            return
        except subprocess.TimeoutExpired:
            continue
