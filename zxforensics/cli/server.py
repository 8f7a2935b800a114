"""getServerConfig and diffServerConfig: the server archives of a backup path, in the seed's layouts."""

from __future__ import annotations

import os
import sys

import pandas as pd

from ..errors import NotFound
from ..format.layout import SERVER_DIR
from ..format.text import INDENT, escape, escape_lines, fmt_value, leaf, render
from ..parse.server_config import row_path, split_query
from ..store.backup import archive_file_zone
from ..store.server import COMPONENT_OF_KIND, read_archive_file
from .common import BACKUP_PATH, TZ, open_store, vendor_date
from .registry import Param, Result, UsageError, verb

# Widths measured on the seed's getServerConfig standard output (the two lines differ by two columns).
DATE_LINE_WIDTH = 129  # `config date____...28/02/2014 04:01:14 CET`
VALUE_LINE_WIDTH = 127  # `test.domain.com____...both`
ATTENTION = (
    "ATTENTION: These files contain the directories {zimbraHome}/conf/ and {zimbraHome}/postfix/conf/ "
    "compressed into a single archive.\n"
    "           Restore can only be performed manually. Do it only if you know what you're doing."
)
KINDS = ("standard", "customizations")
BOLD, DIM, GREEN, CYAN, RESET = "\x1b[1m", "\x1b[2m", "\x1b[32m", "\x1b[36m", "\x1b[0m"


def underscored_line(key: str, value: object, width: int, colors: bool = False) -> str:
    """The key, `_` up to `width` columns, the value right-aligned (at least one `_` between); both escaped
    before the kit's own colour codes are added, so the evidence's never reach the terminal."""
    key, text = escape(str(key)), fmt_value(value)
    pad = "_" * max(width - len(key) - len(text), 1)
    if colors:
        return f"{BOLD}{CYAN}{key}{RESET}{DIM}{pad}{RESET}{GREEN}{text}{RESET}"
    return f"{key}{pad}{text}"


def standard_text(frame: pd.DataFrame, dates: list, tz: str, query: str, verbose=False, colors=False) -> str:
    """The seed's `standard` layout: two blank lines, then per snapshot its date line and its values.

    A query naming a section and an id prints bare value lines (as the seed); a wider one puts a
    `section/id` heading above each group of keyed values; `verbose` labels each line with its full path.
    """
    section, ident, _key = split_query(query)
    headed = not (section and ident) and not verbose
    blocks = []
    for date in dates:
        lines = [underscored_line("config date", vendor_date(date, tz, zone=True), DATE_LINE_WIDTH, colors)]
        rows = frame[frame["date"] == date]
        group = None
        for row in rows.itertuples(index=False):
            label = row_path(row.section, row.id, row.key) if verbose else (row.key or row.id)
            if headed and row.key and (row.section, row.id) != group:
                lines.append(escape(f"{row.section}/{row.id}"))
            group = (row.section, row.id)
            lines.append(underscored_line(label, row.value, VALUE_LINE_WIDTH, colors))
        blocks.append("\n".join(lines))
    return "\n\n" + "\n\n".join(blocks)


def customizations_text(archives: list[tuple[str, str, object]], tz: str) -> str:
    """The seed's `customizations` layout: the ATTENTION header, then `archives` (filename, path, modify date)."""
    groups = []
    for name, folder, date in archives:
        modified = vendor_date(date, tz, zone=True)
        groups.append("\n".join((leaf("filename", name, 2), leaf("path", folder, 2), leaf("modify date", modified, 2))))
    return f"{ATTENTION}\n\n\n\n\n{INDENT}archives\n\n\n" + "\n\n".join(groups)


def _from_file(values: dict, options: dict, kind: str) -> tuple[pd.DataFrame, object, str, str]:
    """getServerConfig `file`: one archive a user names; warnings for what could not be read."""
    path = values["file"]
    tz = archive_file_zone(path, values.get("tz") or options.get("tz"))
    frame, errors, date = read_archive_file(path, kind, values["query"], tz)
    for error in errors:
        print(escape(f"warning: {error['kind']}: {error['detail']} ({error['path']})"), file=sys.stderr)
    return frame, date, tz, os.path.dirname(os.path.realpath(path)) + "/"


@verb(
    "getServerConfig",
    ("type",),
    {"date": Param("date", "last", help='`dd/MM/yyyy HH:mm:ss`|"last"|"all"'), "backup_path": BACKUP_PATH,
     "file": Param("path", None, help="Path to backup file"), "query": Param("string", "/", help="section/id/key"),
     "verbose": Param("bool", False, ("true", "false")), "colors": Param("bool", False, ("true", "false")), "tz": TZ},
    help="Display the server and global configuration (standard) or the conf/ archives (customizations) "
    "backed up in server/, e.g.\nzxforensics getServerConfig standard date last backup_path /mnt/import/ "
    "query serverConfig/zimbraMailMode/test.domain.com",
)  # fmt: skip
def get_server_config(values: dict, options: dict) -> Result:
    kind = values["type"].lower()
    if kind not in KINDS:
        raise UsageError(f"command getServerConfig: type must be standard|customizations, not {values['type']!r}",
                         "getServerConfig")
    if values["file"]:
        frame, date, tz, folder = _from_file(values, options, kind)
        dates, archives = [date], [(os.path.basename(values["file"]), folder, date)]
    else:
        store = open_store(values, options)
        tz, folder = store.tz, os.path.join(str(store.root), SERVER_DIR) + "/"
        frame = store.server_config(kind, values["date"], values["query"])
        chosen = frame.attrs["snapshots"]  # the snapshots the rows were taken from
        if chosen.empty and store.server.choose(COMPONENT_OF_KIND[kind], "all").empty:  # none at all: say so
            return Result(frame, f"no {COMPONENT_OF_KIND[kind]} archive in {folder}")
        if chosen.empty:
            raise NotFound(f"no {COMPONENT_OF_KIND[kind]} archive for date {values['date']!r}")
        dates = list(chosen["date"])
        archives = [(row.name, folder, row.date) for row in chosen.itertuples(index=False)]
    if kind == "standard":
        text = standard_text(frame, dates, tz, values["query"], values["verbose"], values["colors"])
    else:
        text = customizations_text(archives, tz)
    return Result(frame, text)


@verb(
    "diffServerConfig",
    ("a", "b"),
    {"query": Param("string", "/", help="section/id/key"), "backup_path": BACKUP_PATH,
     "type": Param("string", "standard", KINDS), "tz": TZ},
    help="What changed between two server configuration snapshots (each `last` or a date), e.g.\n"
    'zxforensics diffServerConfig "24/02/2014 12:00:00" last backup_path /mnt/import/',
)  # fmt: skip
def diff_server_config(values: dict, options: dict) -> Result:
    from ..investigate.config_diff import diff_config, diff_customizations

    store = open_store(values, options)
    if values["type"].lower() == "customizations":
        frame = diff_customizations(store, values["a"], values["b"])
        groups = [
            [("member", r.member), ("change", r.change), ("size before", r.size_before), ("size after", r.size_after)]
            for r in frame.itertuples(index=False)
        ]
        names = [frame.attrs[key] or "no customizations archive" for key in ("archive_a", "archive_b")]
        head = [("from", names[0]), ("to", names[1])]
        text = render([*head, ("changes", groups or "none")])
        diffs = [escape_lines(d) for d in frame["diff"] if isinstance(d, str) and d]
        return Result(frame.drop(columns="diff"), "\n\n".join([text, *diffs]))
    frame = diff_config(store, values["a"], values["b"], values["query"])
    groups = [
        [("key", row_path(r.section, r.id, r.key)), ("change", r.change), ("before", r.before), ("after", r.after)]
        for r in frame.itertuples(index=False)
    ]
    when = [vendor_date(frame.attrs[k], store.tz, zone=True) or "no config archive" for k in ("date_a", "date_b")]
    return Result(frame, render([("from", when[0]), ("to", when[1]), ("changes", groups or "none")]))
