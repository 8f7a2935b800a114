"""`run_report`: one call from a backup path to a report a person reads, with a manifest to check it by.

The notebook `recovery_report.ipynb` runs through papermill into `out_dir/report.ipynb`, is rendered as a
self-contained HTML file with its code hidden, and every input read and file written is hashed into
`out_dir/run_manifest.json` (plaso's habit: record each run, refuse to overwrite output).
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import orjson

from ..errors import ZxError
from ..output import check_out_dir
from ..store.backup import open_backup, resolve_backup_path
from ..version import __version__
from .sections import DEFAULT_TITLE, EML_DIR, TABLES_DIR, TIMELINE_FILE

NOTEBOOK = "recovery_report.ipynb"
NOTEBOOK_OUT = "report.ipynb"
HTML_OUT = "report.html"
MANIFEST = "run_manifest.json"
# Everything a run writes; `force` replaces these and nothing else.
OUTPUTS = (NOTEBOOK_OUT, HTML_OUT, MANIFEST, TIMELINE_FILE, EML_DIR, TABLES_DIR)
DEPENDENCIES = (
    "pandas", "pyarrow", "numpy", "orjson", "matplotlib", "tqdm", "ldif", "javaobj-py3", "papermill", "nbconvert",
    "nbformat", "nbclient", "ipykernel", "ipython", "jinja2",
)  # fmt: skip
HIDE_TAG = "report-hide"  # cells for someone opening the notebook, not for the report
_TEMPLATE = "zx_report.html.j2"
# The lab template minus every script it would fetch from a CDN, plus readable tables.
_TEMPLATE_TEXT = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block extra_css -%}
<style type="text/css">
main { max-width: 1180px; margin: 0 auto; padding: 1em 2em; }
.jp-RenderedHTMLCommon table.zx-table { border-collapse: collapse; font-size: 12px; margin: 0.5em 0; max-width: 100%; }
.jp-RenderedHTMLCommon table.zx-table th { background: #eef2f7; text-align: left; padding: 4px 8px;
  border-bottom: 2px solid #c9d3df; }
.jp-RenderedHTMLCommon table.zx-table td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #e3e8ee;
  vertical-align: top; }
.zx-long { word-break: break-all; display: inline-block; min-width: 14em; }
.jp-RenderedHTMLCommon table.zx-table tr:nth-child(even) td { background: #fafbfc; }
p.zx-note { color: #667; font-size: 12px; margin: 0.2em 0 1em; }
.jp-RenderedHTMLCommon pre.zx-diff { font-family: var(--jp-code-font-family), monospace; font-size: 11px;
  line-height: 1.35; background: #f6f8fa; padding: 0.5em; overflow-x: auto; }
.jp-RenderedHTMLCommon h2 { border-bottom: 1px solid #d0d7de; padding-bottom: 0.2em; margin-top: 1.6em; }
</style>
{%- endblock extra_css -%}
"""


def find_notebook() -> Path:
    """The report notebook: the repository's notebooks/ (an editable install or a checkout), else a copy
    shipped inside the package or installed as data under `<prefix>/share/zxforensics/notebooks/`."""
    package = Path(__file__).resolve().parent.parent
    shared = Path(sys.prefix) / "share" / "zxforensics" / "notebooks"
    places = (package.parent / "notebooks", package / "notebooks", shared)
    for folder in places:
        if (folder / NOTEBOOK).is_file():
            return folder / NOTEBOOK
    raise ZxError(f"cannot find {NOTEBOOK} (looked in {', '.join(str(p) for p in places)})")


def prepare_out_dir(backup_path: str | os.PathLike, out_dir: str | os.PathLike, force: bool) -> Path:
    """Refuse an output folder inside the backup path, or one already used unless `force`.

    With `force`, the files of an earlier run (OUTPUTS) are removed, never anything else."""
    given = Path(backup_path)
    for root in {resolve_backup_path(given), given}:
        check_out_dir(root, out_dir)
    out = Path(os.path.realpath(out_dir))
    if out.exists() and not out.is_dir():
        raise ZxError(f"{out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise ZxError(f"refusing to write into {out}: it is not empty (use --force to replace a report)")
        for name in OUTPUTS:
            target = out / name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            elif target.exists() or target.is_symlink():
                target.unlink()
    out.mkdir(parents=True, exist_ok=True)
    return out


def run_report(
    backup_path: str | os.PathLike,
    out_dir: str | os.PathLike,
    notification: str | os.PathLike | None = None,
    date_a: object = None,
    date_b: object = None,
    title: str = DEFAULT_TITLE,
    tz: str | None = None,
    force: bool = False,
    kernel_name: str | None = None,
    progress: bool = True,
) -> dict[str, Path]:
    """Run the recovery report into `out_dir`; returns the paths written (`html`, `notebook`, `manifest`, ...)."""
    try:
        import papermill
    except ImportError:
        raise ZxError("the report needs papermill and nbconvert: pip install 'zxforensics[notebooks]'") from None
    started = datetime.now(UTC)
    if notification and not Path(notification).is_file():
        raise ZxError(f"notification {notification}: no such file")
    out = prepare_out_dir(backup_path, out_dir, force)
    parameters = {
        "backup_path": str(Path(backup_path).resolve()),
        "notification": str(Path(notification).resolve()) if notification else None,
        "date_a": None if date_a is None else str(date_a),
        "date_b": None if date_b is None else str(date_b),
        "out_dir": str(out),
        "title": title,
        "tz": tz,
    }
    notebook = find_notebook()
    executed = out / NOTEBOOK_OUT
    try:
        papermill.execute_notebook(
            str(notebook), str(executed), parameters=parameters, kernel_name=kernel_name,
            progress_bar=progress, cwd=str(notebook.parent),
        )  # fmt: skip
    except papermill.PapermillExecutionError as exc:
        failure = f"{exc.ename}: {exc.evalue}"
        raise ZxError(f"the report failed in cell {exc.exec_count}: {failure} (see {executed})") from None
    html = render_html(executed, out / HTML_OUT, title)
    manifest = write_manifest(out, parameters, notebook, started)
    written = {"html": html, "notebook": executed, "manifest": manifest}
    for name, key in ((TIMELINE_FILE, "timeline"), (EML_DIR, "eml"), (TABLES_DIR, "tables")):
        if (out / name).exists():
            written[key] = out / name
    return written


def render_html(notebook: Path, target: Path, title: str) -> Path:
    """The executed notebook as one HTML file: code and prompts hidden, images inline, no CDN scripts."""
    import nbformat
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    nb = nbformat.read(notebook, as_version=4)
    nb.metadata["title"] = title
    exporter = HTMLExporter(
        template_name="lab", template_file=_TEMPLATE, extra_loaders=[DictLoader({_TEMPLATE: _TEMPLATE_TEXT})],
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True, embed_images=True,
    )  # fmt: skip
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags={HIDE_TAG}), enabled=True)
    body, _resources = exporter.from_notebook_node(nb)
    target.write_text(body, encoding="utf-8")
    return target


def sha256_file(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def write_manifest(out: Path, parameters: dict, notebook: Path, started: datetime) -> Path:
    """`run_manifest.json`: parameters, versions, times, and the SHA-256 of every input read and file written."""
    inputs = [{"role": "notebook", "path": str(notebook), "size": notebook.stat().st_size,
               "sha256": sha256_file(notebook)}]  # fmt: skip
    if parameters["notification"]:
        source = Path(parameters["notification"])
        inputs.append({"role": "notification", "path": str(source), "size": source.stat().st_size,
                       "sha256": sha256_file(source)})  # fmt: skip
    inputs += evidence_inputs(parameters["backup_path"], parameters["tz"], out)
    outputs = []
    for name in OUTPUTS:
        target = out / name
        files = sorted(p for p in target.rglob("*") if p.is_file()) if target.is_dir() else [target]
        for path in files:
            if path.is_file() and path.name != MANIFEST:
                rel = str(path.relative_to(out))
                outputs.append({"path": rel, "size": path.stat().st_size, "sha256": sha256_file(path)})
    document = {
        "tool": "zxforensics",
        "version": __version__,
        "parameters": parameters,
        "command": sys.argv,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions(),
        "started": started.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "ended": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "inputs": inputs,
        "outputs": outputs,
    }
    path = out / MANIFEST
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
    return path


def versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {"zxforensics": __version__}
    for name in DEPENDENCIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def evidence_inputs(backup_path: str, tz: str | None, out: Path) -> list[dict]:
    """Hashes of the evidence files the report read as whole files: the server archives and extracted blobs.

    Read through `Evidence` (read-only, no atime change), as every file of a backup path."""
    store = open_backup(backup_path, tz=tz)
    rels = [("server_archive", _relative(store.root, p)) for p in store.server_archives()["path"].astype(str)]
    manifest = out / EML_DIR / "manifest.csv"
    if manifest.is_file():
        import pandas as pd

        for path in pd.read_csv(manifest)["source_blob"].astype(str):
            rels.append(("blob", _relative(store.root, path)))
    records = []
    for role, rel in dict.fromkeys(rels):
        with store.evidence.open_binary(rel) as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
        records.append({"role": role, "path": str(store.root / rel), "size": store.evidence.size(rel),
                        "sha256": digest})  # fmt: skip
    return records


def _relative(root: Path, path: str) -> str:
    candidate = Path(path)
    if not candidate.is_absolute():
        return path
    for base in (root, Path(os.path.realpath(root))):
        try:
            return str(candidate.relative_to(base))
        except ValueError:
            continue
    return str(Path(os.path.realpath(candidate)).relative_to(os.path.realpath(root)))
