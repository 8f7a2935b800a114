"""`run_report`: one call from a backup path to a report a person reads, with a manifest to check it by.

The notebook `recovery_report.ipynb` runs through papermill into `out_dir/report.ipynb`, is rendered as a
self-contained HTML file with its code hidden, printed to `report.pdf` by headless Chromium when one is
installed (`pdf.py`), and every input read and file written is hashed into `out_dir/run_manifest.json`
(plaso's habit: record each run, refuse to overwrite output).
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import sys
import tempfile
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import orjson

from ..errors import EvidenceError, ZxError
from ..evidence.files import read_file
from ..output import OutputDir
from ..store.backup import open_backup, resolve_backup_path
from ..version import __version__
from .pdf import PDF_OUT, render_pdf
from .sections import DEFAULT_TITLE, EML_DIR, TABLES_DIR, TIMELINE_FILE, TOC_MARK

NOTEBOOK = "recovery_report.ipynb"
NOTEBOOK_OUT = "report.ipynb"
HTML_OUT = "report.html"
MANIFEST = "run_manifest.json"
# Everything a run writes; `force` replaces these and nothing else.
OUTPUTS = (NOTEBOOK_OUT, HTML_OUT, PDF_OUT, MANIFEST, TIMELINE_FILE, EML_DIR, TABLES_DIR)
DEPENDENCIES = (
    "pandas", "pyarrow", "numpy", "orjson", "matplotlib", "tqdm", "ldif", "papermill", "nbconvert",
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
nav.zx-toc { border: 1px solid #d0d7de; background: #f6f8fa; padding: 0.5em 1.5em; margin: 1em 0; }
nav.zx-toc ol { margin: 0.3em 0; }
@media print {
  main { max-width: none; padding: 0; }
  .jp-MarkdownCell:has(h2):not(:has(#Executive-summary)) { break-before: page; }
  h2, h3 { break-after: avoid; }
  tr, img, pre.zx-diff { break-inside: avoid; }
  .zx-toc a { color: inherit; text-decoration: none; }
}
</style>
{%- endblock extra_css -%}
{%- block data_png scoped -%}
<div class="jp-RenderedImage jp-OutputArea-output {{ extra_class }}">
<img src="data:image/png;base64,{{ output.data['image/png'] | escape_html }}"
 alt="{{ ((output | get_metadata('alt', 'image/png')) or 'Figure') | escape_html }}">
</div>
{%- endblock data_png -%}
"""
_HEADING = re.compile(r'<h2 id="([^"]+)">(.*?)<a class="anchor-link"', re.S)


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


def prepare_out_dir(backup_path: str | os.PathLike, out_dir: str | os.PathLike, force: bool) -> OutputDir:
    """The report's output folder: refused inside the backup path, or already used unless `force`.

    With `force`, the files of an earlier run (OUTPUTS) are removed, never anything else, and never
    through a link (a link planted there is removed itself)."""
    given = Path(backup_path)
    out = OutputDir(out_dir, list({resolve_backup_path(given), given}))
    if os.listdir(out.root):
        if not force:
            raise ZxError(f"refusing to write into {out.root}: it is not empty (use --force to replace a report)")
        for name in OUTPUTS:
            out.remove(name)
    return out


class _NotebookOutput:
    """papermill's I/O handler for `zxforensics-out://<name>`: papermill saves the executed notebook
    (again after every cell) through the run's OutputDir, never through a path it would open itself."""

    scheme = "zxforensics-out://"
    out: OutputDir | None = None

    def name(self, path: str) -> str:
        return path.removeprefix(self.scheme)

    def read(self, path: str) -> str:
        return self.out.read_bytes(self.name(path)).decode("utf-8")

    def listdir(self, path: str) -> list[str]:
        return [f"{self.scheme}{name}" for name in self.out.files(self.name(path))]

    def write(self, buf: str, path: str) -> None:
        self.out.write_text(self.name(path), text=buf, replace=True)

    def pretty_path(self, path: str) -> str:
        return str(self.out.path(self.name(path)))


_NOTEBOOK_OUTPUT = _NotebookOutput()


def execute(papermill, notebook: Path, out: OutputDir, parameters: dict, kernel_name: str | None, progress: bool):
    """Run the notebook with papermill, its output written as `out/NOTEBOOK_OUT` through `out`."""
    from papermill.iorw import papermill_io

    _NOTEBOOK_OUTPUT.out = out
    papermill_io.register(_NotebookOutput.scheme, _NOTEBOOK_OUTPUT)  # the newest registration is used first
    kernel_name = kernel_name or _kernel_name(notebook)
    # The kernel talks over local sockets in a private folder: over TCP it would warn, on every run, that
    # the traffic is not encrypted (a line the reader can do nothing about). Errors still reach the user.
    with tempfile.TemporaryDirectory(prefix="zxforensics-kernel-") as sockets:
        from jupyter_client.manager import KernelManager

        manager = KernelManager(kernel_name=kernel_name, transport="ipc", ip=str(Path(sockets) / "kernel"))
        try:
            papermill.execute_notebook(
                str(notebook), _NotebookOutput.scheme + NOTEBOOK_OUT, parameters=parameters,
                kernel_name=kernel_name, progress_bar=progress, cwd=str(notebook.parent), km=manager,
            )  # fmt: skip
        except papermill.PapermillExecutionError as exc:
            failure = f"{exc.ename}: {exc.evalue} (see {out.path(NOTEBOOK_OUT)})"
            raise ZxError(f"the report failed in cell {exc.exec_count}: {failure}") from None
        finally:
            if manager.has_kernel:  # a kernel manager papermill was given is ours to stop
                manager.shutdown_kernel(now=False)


def _kernel_name(notebook: Path) -> str:
    import nbformat

    spec = nbformat.reads(notebook.read_text(encoding="utf-8"), as_version=4).metadata.get("kernelspec", {})
    return spec.get("name") or "python3"


class ReportFiles(dict[str, Path]):
    """The paths a report run wrote (`html`, `pdf`, `notebook`, `manifest`, ...), and why there is no
    `pdf` when there is none (`pdf_reason`, as the run manifest records it)."""

    pdf_reason: str | None = None


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
    progress: bool = False,
    purge_date: object = None,
    pdf: bool = True,
    scheduler: str | None = None,
) -> ReportFiles:
    """Run the recovery report into `out_dir`; returns the paths written (`html`, `pdf`, `notebook`,
    `manifest`, ...). Without a PDF engine the report is still written, and the manifest says why there
    is no PDF (`pdf.written` false, `pdf.reason`).

    Quiet by default: no progress bar (`progress` to have papermill's), no kernel log line. With a Dask
    `scheduler` address (tcp://host:8786), the audit's blobs are verified on that cluster."""
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
        "out_dir": str(out.root),
        "title": title,
        "tz": tz,
        "purge_date": None if purge_date is None else str(purge_date),
        "scheduler": scheduler,
    }
    notebook = find_notebook()
    execute(papermill, notebook, out, parameters, kernel_name, progress)
    html = render_html(out, title)
    pdf_status = render_pdf(out, HTML_OUT) if pdf else {"written": False, "reason": "not asked for"}
    manifest = write_manifest(out, parameters, notebook, started, pdf_status)
    written = ReportFiles(html=html, notebook=out.path(NOTEBOOK_OUT), manifest=manifest)
    if pdf_status["written"]:
        written["pdf"] = out.path(PDF_OUT)
    else:
        written.pdf_reason = pdf_status.get("reason")
    for name, key in ((TIMELINE_FILE, "timeline"), (EML_DIR, "eml"), (TABLES_DIR, "tables")):
        if out.exists(name):
            written[key] = out.path(name)
    return written


def render_html(out: OutputDir, title: str) -> Path:
    """The executed notebook as one HTML file: code and prompts hidden, images inline, no CDN scripts."""
    import nbformat
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    nb = nbformat.reads(out.read_bytes(NOTEBOOK_OUT).decode("utf-8"), as_version=4)
    nb.metadata["title"] = title
    exporter = HTMLExporter(
        template_name="lab", template_file=_TEMPLATE, extra_loaders=[DictLoader({_TEMPLATE: _TEMPLATE_TEXT})],
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True, embed_images=True,
    )  # fmt: skip
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags={HIDE_TAG}), enabled=True)
    body, _resources = exporter.from_notebook_node(nb)
    return out.write_text(HTML_OUT, text=with_contents(body))


def with_contents(body: str) -> str:
    """The table of contents: a link to each section (the `<h2>` nbconvert gave an id), written where the
    executive summary left its mark; the PDF keeps the links."""
    sections = [(anchor, re.sub(r"<[^>]+>", "", title).strip()) for anchor, title in _HEADING.findall(body)]
    links = "".join(f'<li><a href="#{anchor}">{title}</a></li>' for anchor, title in sections
                    if anchor != "Executive-summary")  # fmt: skip
    return body.replace(TOC_MARK, f'<nav class="zx-toc" id="zx-toc"><strong>Contents</strong><ol>{links}</ol></nav>', 1)


def sha256_file(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def output_files(out: OutputDir) -> list[dict]:
    """`path, size, sha256` of every regular file the run wrote (OUTPUTS), read back without following links."""
    outputs = []
    for name in OUTPUTS:
        for rel in out.files(name):
            if rel != MANIFEST:
                with out.open_read(*rel.split("/")) as handle:
                    digest = hashlib.file_digest(handle, "sha256")
                    outputs.append({"path": rel, "size": handle.tell(), "sha256": digest.hexdigest()})
    return outputs


def write_manifest(
    out: OutputDir, parameters: dict, notebook: Path, started: datetime, pdf: dict | None = None
) -> Path:
    """`run_manifest.json`: parameters, versions, times, and the SHA-256 of every input read and file written."""
    inputs = [{"role": "notebook", "path": str(notebook), "size": notebook.stat().st_size,
               "sha256": sha256_file(notebook)}]  # fmt: skip
    if parameters["notification"]:
        source = Path(parameters["notification"])
        data = read_file(source)  # a file the user names: read as evidence (no atime change)
        inputs.append({"role": "notification", "path": str(source), "size": len(data),
                       "sha256": hashlib.sha256(data).hexdigest()})  # fmt: skip
    inputs += evidence_inputs(parameters["backup_path"], parameters["tz"], out)
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
        "outputs": output_files(out),
        "pdf": pdf or {"written": False, "reason": "not asked for"},
    }
    return out.write_bytes(MANIFEST, data=orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")


def versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {"zxforensics": __version__}
    for name in DEPENDENCIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def evidence_inputs(backup_path: str, tz: str | None, out: OutputDir) -> list[dict]:
    """Hashes of the evidence files the report read as whole files: the server archives and extracted blobs.

    Read through `Evidence` (read-only, no atime change), as every file of a backup path; one that cannot
    be read is listed with its `error`, not a failed report."""
    store = open_backup(backup_path, tz=tz)
    rels = [("server_archive", _relative(store.root, p)) for p in store.server_archives()["path"].astype(str)]
    if out.exists(EML_DIR, "manifest.csv"):
        import pandas as pd

        with out.open_read(EML_DIR, "manifest.csv") as handle:
            rels += [("blob", _relative(store.root, path)) for path in pd.read_csv(handle)["source_blob"].astype(str)]
    records = []
    for role, rel in dict.fromkeys(rels):
        record = {"role": role, "path": str(store.root / rel)}
        try:
            with store.evidence.open_binary(rel) as handle:
                digest = hashlib.file_digest(handle, "sha256").hexdigest()
            records.append({**record, "size": store.evidence.size(rel), "sha256": digest})
        except EvidenceError as exc:
            records.append({**record, "error": str(exc)})
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
