"""Run a browser and end only when it and every process it started have ended: `python -I reaper.py CMD...`.

Why a separate process: headless Chromium leaves helpers behind when it exits (zygotes and renderers of
its process group, and two `chrome_crashpad_handler`s that start their own sessions), and they lingered
for seconds after `zxforensics report` had ended; their zombies are reparented to init, which in a
container may reap them late. This script (standard library only, run by path so that it imports nothing
of the kit) makes itself a child subreaper, so every orphan of the browser comes back to it; starts the
browser in its own session (a process group it can kill without killing itself); when the browser ends,
or on SIGTERM (the caller's timeout), kills that group and every orphan left, and reaps them all before it
exits with the browser's exit code. Its caller (report.pdf) starts it in a session of its own too.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys

PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h: orphaned descendants are reparented to this process, not init


def become_subreaper() -> bool:
    """Ask Linux to hand this process the orphans of its descendants (False where there is no prctl)."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def kill_group(pgid: int) -> None:
    """SIGKILL a process group; a group already gone is fine."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def children() -> list[int]:
    """The pids whose parent is this process (adopted orphans included), read from /proc."""
    me, found = os.getpid(), []
    try:
        names = os.listdir("/proc")
    except OSError:
        return found
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as stat:  # /proc, not evidence
                fields = stat.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 1 and int(fields[1]) == me:
            found.append(int(name))
    return found


def end_all(pgid: int) -> None:
    """Kill the browser's group and every child left (orphans adopted as subreaper), and reap them all."""
    kill_group(pgid)
    while True:
        for pid in children():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        try:
            os.wait()
        except ChildProcessError:
            return


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: reaper.py COMMAND [ARGS...]", file=sys.stderr)
        return 2
    become_subreaper()
    started: list[int] = []
    stopped: list[bool] = []

    def stop(_signum: int, _frame: object) -> None:  # the caller's timeout: the browser's group goes now
        stopped.append(True)
        for pid in started:
            kill_group(pid)

    signal.signal(signal.SIGTERM, stop)
    try:
        browser = subprocess.Popen(argv, start_new_session=True)
    except OSError as exc:
        print(f"{argv[0]}: {exc}", file=sys.stderr)
        return 127
    started.append(browser.pid)
    if stopped:
        kill_group(browser.pid)
    # Wait for the browser without reaping it: while it is a zombie its pid still names its group, so the
    # group killed next is the browser's, never a group that took a reused pid.
    os.waitid(os.P_PID, browser.pid, os.WEXITED | os.WNOWAIT)
    kill_group(browser.pid)
    code = browser.wait()
    end_all(browser.pid)
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
