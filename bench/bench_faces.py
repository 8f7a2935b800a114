"""Faces benchmark (issue 11): the commands a new user runs, as the issue's opening table measured them
(`summary`, `report`, `doCoherencyCheck`, the `unrestored_items` notebook under papermill), plus `getItem`
of one item and the `timeline` export, each without an index, on its first run (which builds the index)
and on the next run (the warm index), next to shell baselines measured in the same run.

    python bench/bench_faces.py                          # the issue's store: 200 accounts x 2,000 items (~754k states)
    python bench/bench_faces.py --store PATH             # a store already generated (never written)
    python bench/bench_faces.py --store PATH --faces summary,getItem --timeout 600
    python bench/bench_faces.py --store PATH --faces report --conditions first,warm   # the index's runs alone

The store is generated once if missing, as the issue's user made it (`zxforensics make-sample DIR accounts
200 items 2000`, blobs included), under $ZX_BENCH_STORES (default /tmp/zx-bench-stores), and is only read.
Everything a run writes (index folders, report folders, the notebook and its extractions, timelines,
$XDG_CACHE_HOME) goes to one temporary folder outside the store, deleted at the end.

Every run is a fresh process tree, as the user would start it: a small wrapper (WRAPPER) starts the face's
own command (`zxforensics VERB ...`, or `papermill ...`), becomes the sub-reaper of its tree (a kernel or a
worker left behind by its parent is still reaped and counted), and reports:
- `wall` seconds and `cpu` seconds (user + system of the whole tree: on a shared machine, the steadier one);
- `peak` MiB: the wrapper's RUSAGE_CHILDREN ru_maxrss, i.e. the largest single process of the tree
  (what `/usr/bin/time -v` prints as "Maximum resident set size"): the face's process, the report's
  Jupyter kernel, a pool worker or chromium, whichever was largest. Not a sum of the processes;
- `face` MiB: the face's own process (its RUSAGE_SELF, written at exit by LAUNCH);
- `kids` MiB: the largest of the face's descendants it reaped (the kernel, the workers, chromium).
The index is chosen through $ZXFORENSICS_INDEX, the spelling every face (CLI verbs, the report's kernel,
papermill's kernel) shares: `off` (index=False), then a new empty folder (the run builds it), then that
folder again (warm). Baselines (same wrapper): `find accounts -type f -exec cat {} +` and the same over
the whole store (blobs included, what doCoherencyCheck reads), warm, and `du -s` (the walk alone).
The page cache is not dropped: the faces and the baselines all run warm.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_data import generate_once

STORES = Path(os.environ.get("ZX_BENCH_STORES", "/tmp/zx-bench-stores"))
NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "unrestored_items.ipynb"
FACES = ("summary", "getItem", "doCoherencyCheck", "timeline", "unrestored_items", "report")
CONDITIONS = ("no index", "first run (builds)", "warm index")
CONDITION_KEYS = dict(zip(("off", "first", "warm"), CONDITIONS, strict=True))  # --conditions spells them so

# The face's own process: runs an entry point (`module:function`) and writes its own peak RSS, and the
# largest of its reaped descendants, to $ZX_BENCH_RUSAGE at exit (sys.exit included).
LAUNCH = r"""
import atexit, importlib, json, os, resource, sys
def record():
    if "ZX_BENCH_RUSAGE" not in os.environ:  # the store's generation: not a measured run
        return
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(os.environ["ZX_BENCH_RUSAGE"], "w") as sink:
        json.dump({"face_mib": own.ru_maxrss / 1024, "kids_mib": kids.ru_maxrss / 1024}, sink)
atexit.register(record)
module, function = sys.argv[1].split(":")
sys.argv = [module, *sys.argv[2:]]
sys.exit(getattr(importlib.import_module(module), function)())
"""

# The wrapper: a fresh process per run, the sub-reaper of the face's tree; prints one JSON line.
WRAPPER = r"""
import ctypes, json, os, resource, signal, subprocess, sys, time
PR_SET_CHILD_SUBREAPER = 36
ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
timeout, command = float(sys.argv[1]), sys.argv[2:]
started = time.perf_counter()
face = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
try:
    out, err = face.communicate(timeout=timeout)
    timed_out = False
except subprocess.TimeoutExpired:  # the brief's limit: stop the face's whole process group, say so
    os.killpg(face.pid, signal.SIGTERM)
    try:
        out, err = face.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(face.pid, signal.SIGKILL)
        out, err = face.communicate()
    timed_out = True
wall = time.perf_counter() - started
left = []  # the names of the processes the face's tree left running (now ours)
for entry in os.listdir("/proc"):
    try:
        with open(f"/proc/{entry}/stat") as stat:
            fields = stat.read().rsplit(")", 1)
    except OSError:
        continue
    if fields[1].split()[1] == str(os.getpid()):
        left.append(fields[0].split("(", 1)[1])
orphans, deadline = 0, time.monotonic() + 20
while time.monotonic() < deadline:  # descendants whose parent left them running: reaped here, counted
    try:
        pid, _ = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        break
    if pid:
        orphans += 1
    else:
        time.sleep(0.1)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": face.returncode, "timed_out": timed_out, "wall": wall, "cpu": kids.ru_utime + kids.ru_stime,
                  "peak_mib": kids.ru_maxrss / 1024, "orphans": orphans, "left": sorted(set(left)),
                  "stdout": out.decode("utf-8", "replace")[:4000], "stderr": err.decode("utf-8", "replace")[-2000:]}))
"""


def ensure_store(accounts: int, items: int) -> Path:
    """The issue's store, generated once by the user's own command, blobs included."""
    def make(folder: Path) -> None:
        subprocess.run([*zx_command(), "make-sample", str(folder), "accounts", str(accounts), "items", str(items)],
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip

    return generate_once(STORES / f"store_{accounts}x{items}", f"{accounts} accounts x {items} items", make)


def zx_command() -> list[str]:
    """`zxforensics` as installed beside this interpreter, its peak recorded by LAUNCH."""
    return [sys.executable, "-c", LAUNCH, "zxforensics.cli:main"]


def one_item(path: Path) -> tuple[str, str]:
    """An account in the middle of the store and one of its item ids, from folder names alone."""
    accounts = sorted(p.name for p in (path / "accounts").iterdir() if p.is_dir())
    account = accounts[len(accounts) // 2]
    items = path / "accounts" / account / "items"
    for folder in sorted(items.iterdir()):
        names = sorted(n for n in os.listdir(folder) if n.isdigit())
        if names:
            return account, names[len(names) // 2]
    raise SystemExit(f"no item file under {items}")


def face_command(face: str, path: Path, out: Path, item: tuple[str, str]) -> tuple[list[str], tuple[int, ...]]:
    """The face's command line and the exit codes that mean it ran (1: findings, for the audit)."""
    zx = zx_command()
    if face == "summary":
        return [*zx, "summary", "backup_path", str(path)], (0,)
    if face == "getItem":
        return [*zx, "getItem", item[0], item[1], "backup_path", str(path), "date", "all"], (0,)
    if face == "doCoherencyCheck":
        return [*zx, "doCoherencyCheck", str(path)], (0, 1)
    if face == "timeline":
        return [*zx, "timeline", "backup_path", str(path), "out", str(out / "timeline.csv")], (0,)
    if face == "report":
        return [*zx, "report", "backup_path", str(path), "out", str(out / "report")], (0,)
    if face == "unrestored_items":  # the notebook's parameters: it has no index one ($ZXFORENSICS_INDEX is)
        return [sys.executable, "-c", LAUNCH, "papermill.__main__:papermill", "--no-progress-bar",
                str(NOTEBOOK), str(out / "unrestored_items.ipynb"),
                "-p", "backup_path", str(path), "-p", "out_dir", str(out / "extracted")], (0,)  # fmt: skip
    raise ValueError(face)


def run(command: list[str], env: dict, timeout: float, scratch: Path) -> dict:
    """One run in a fresh wrapper process; the face's own figures read back from its rusage file."""
    rusage = scratch / "rusage.json"
    rusage.unlink(missing_ok=True)
    done = subprocess.run([sys.executable, "-c", WRAPPER, str(timeout), *command], check=True,
                          capture_output=True, text=True, env={**env, "ZX_BENCH_RUSAGE": str(rusage)})  # fmt: skip
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if rusage.exists():
        result.update(json.loads(rusage.read_text()))
    return result


def note(step: str, result: dict) -> None:
    """Each figure as it comes, with the load at that moment: a long run on a shared machine says what it saw."""
    shown = {
        k: (round(v, 2) if isinstance(v, float) else v) for k, v in result.items() if k not in ("stdout", "stderr")
    }
    print(f"[{time.strftime('%H:%M:%S')} load {os.getloadavg()[0]:.1f}] {step}: {json.dumps(shown)}", flush=True)


def folder_mib(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20 if folder.is_dir() else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--store", type=Path, help="a store already generated (only read)")
    parser.add_argument("--faces", default=",".join(FACES), help=f"comma-separated, of {', '.join(FACES)}")
    parser.add_argument("--timeout", type=float, default=900, help="seconds before a run is stopped (default 900)")
    parser.add_argument("--conditions", default=",".join(CONDITION_KEYS),
                        help="comma-separated, of off (no index), first (the run that builds it), warm (the next); "
                             "warm alone builds the index first, unmeasured")  # fmt: skip
    args = parser.parse_args()
    faces = [f.strip() for f in args.faces.split(",") if f.strip()]
    unknown = set(faces) - set(FACES)
    if unknown:
        parser.error(f"unknown faces: {', '.join(sorted(unknown))}")
    keys = [c.strip() for c in args.conditions.split(",") if c.strip()]
    if not keys or set(keys) - set(CONDITION_KEYS):
        parser.error(f"--conditions takes some of {', '.join(CONDITION_KEYS)}")
    conditions = [condition for key, condition in CONDITION_KEYS.items() if key in keys]
    path = (args.store or ensure_store(args.accounts, args.items)).resolve()
    item = one_item(path)
    files = sum(len(names) for _, _, names in os.walk(path / "accounts"))
    load_start = os.getloadavg()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    scratch = Path(tempfile.mkdtemp(prefix="zx-bench-faces-"))
    if path == scratch or path in scratch.parents:
        raise SystemExit(f"the temporary folder {scratch} lies inside the store")
    venv_bin = str(Path(sys.executable).parent)
    env = dict(os.environ, TQDM_DISABLE="1", MPLBACKEND="Agg", XDG_CACHE_HOME=str(scratch / "cache"),
               PATH=f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}")  # fmt: skip
    for name in ("ZXFORENSICS_BACKUP_PATH", "ZXFORENSICS_NOTIFICATION", "ZXFORENSICS_OUT_DIR"):
        env.pop(name, None)
    baselines, results = {}, {}
    try:
        shell = {
            "du -s (the walk)": f"du -s '{path}' > /dev/null",
            "find accounts -type f -exec cat {} +": f"find '{path}/accounts' -type f -exec cat {{}} + > /dev/null",
            "find STORE -type f -exec cat {} +": f"find '{path}' -type f -exec cat {{}} + > /dev/null",
        }
        run(["sh", "-c", shell["find STORE -type f -exec cat {} +"]], env, args.timeout, scratch)  # warms
        for name, script in shell.items():
            baselines[name] = run(["sh", "-c", script], env, args.timeout, scratch)
            note(f"{name}, warm", baselines[name])
        for face in faces:
            index = scratch / f"index-{face}"
            for condition in CONDITIONS:
                measured = condition in conditions
                if not measured and not (condition == "first run (builds)" and "warm index" in conditions):
                    continue  # a warm run needs the index the first run builds: that one runs, unmeasured
                out = scratch / f"out-{face}-{CONDITIONS.index(condition)}"
                out.mkdir()
                command, ok = face_command(face, path, out, item)
                spelled = "off" if condition == "no index" else str(index)
                result = run(command, {**env, "ZXFORENSICS_INDEX": spelled}, args.timeout, scratch)
                result["ok"] = result["rc"] in ok and not result["timed_out"]
                if condition == "first run (builds)":
                    result["index_mib"] = folder_mib(index)
                if not measured:
                    note(f"{face}, {condition} (not measured: builds the index for the warm run)", result)
                    shutil.rmtree(out)
                    continue
                results[face, condition] = result
                note(f"{face}, {condition}", result)
                if not result["ok"]:
                    print(f"  exit {result['rc']}{' (stopped: timeout)' if result['timed_out'] else ''}: "
                          f"{result['stderr'].strip()[-600:]}", flush=True)  # fmt: skip
                shutil.rmtree(out)
            shutil.rmtree(index, ignore_errors=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    load_end = os.getloadavg()

    said = [line.split()[-1] for (face, _), result in results.items() if face == "summary"
            for line in result["stdout"].splitlines() if line.strip().startswith("item states")]  # fmt: skip
    states = f"{int(said[0]):,} states, " if said else ""
    print(f"\nstore: {path} ({states}{files:,} metadata files under accounts/); getItem of {item[0]} {item[1]}")
    print(f"started {started}; cores: {os.cpu_count()}; load average (1, 5, 15 min) at the start "
          f"{load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f}, at the end "
          f"{load_end[0]:.2f} {load_end[1]:.2f} {load_end[2]:.2f}; page cache warm (not dropped)")  # fmt: skip
    print("peak = largest single process of the run's tree (time -v's figure); face = the face's own process;")
    print("kids = the largest of its descendants (Jupyter kernel, pool workers, chromium). MiB; cpu = user+sys, tree")
    print(f"\n{'run':44}{'wall s':>9}{'cpu s':>9}{'peak':>8}{'face':>8}{'kids':>8}  note")
    for name, result in baselines.items():
        print(f"{name + ', warm':44}{result['wall']:9.2f}{result['cpu']:9.2f}{result['peak_mib']:8.0f}")
    for (face, condition), result in results.items():
        remark = "" if result["ok"] else f"FAILED (exit {result['rc']})"
        if result["timed_out"]:
            remark = f"STOPPED after {args.timeout:.0f} s"
        if "index_mib" in result:
            remark += f" index {result['index_mib']:.1f} MiB"
        if result["orphans"]:
            remark += f" {result['orphans']} left running by the face, reaped ({', '.join(result['left'])})"
        face_mib, kids_mib = result.get("face_mib", float("nan")), result.get("kids_mib", float("nan"))
        print(f"{face + ', ' + condition:44}{result['wall']:9.2f}{result['cpu']:9.2f}{result['peak_mib']:8.0f}"
              f"{face_mib:8.0f}{kids_mib:8.0f}  {remark.strip()}")  # fmt: skip


if __name__ == "__main__":
    main()
