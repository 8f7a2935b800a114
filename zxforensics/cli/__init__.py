"""`zxforensics`: the vendor's `zxsuite backup` verbs, offline and read-only.

    zxforensics [--json|--csv] [--tz ZONE] [--force] [--debug] VERB [positionals] [attr value ...]

Copy a command from the Zextras docs and replace `zxsuite backup` with `zxforensics`, or paste it
whole after `zxforensics` (`zxforensics zxsuite backup getItem ...`, `zxforensics carbonio backup ...`).

Exit codes: 0 ok; 1 findings (the verb found damage, a difference, an item it could not dump);
2 bad input or usage (one line on stderr); 70 a bug of the kit (one line; --debug shows the traceback).
"""

from __future__ import annotations

import os
import sys
import traceback
import warnings
from collections.abc import Callable
from functools import partial
from importlib import import_module

import orjson

from ..errors import ZxError
from ..format.text import escape, escape_json, escape_lines, fmt_value, looks_like_formula
from ..version import __version__
from .registry import VERBS, UsageError

# Modules that register verbs (one per investigation).
VERB_MODULES = ("items", "info", "report", "restore", "server", "audit", "dashboard", "mail", "probe", "check")
OUTPUT_FORMATS = ("--json", "--csv")
# The vendor's command prefixes, dropped from a pasted line: `zxsuite backup getItem ...` (Zimbra),
# `carbonio backup getItem ...` (Carbonio); `zxsuite help backup getItem` asks for a verb's syntax.
VENDOR_COMMANDS = ("zxsuite", "carbonio")
VENDOR_MODULE = "backup"
EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT, EXIT_BUG = 0, 1, 2, 70  # 70: EX_SOFTWARE of sysexits.h


def load_verbs() -> None:
    for name in VERB_MODULES:
        import_module(f".{name}", __name__)


def general_help() -> str:
    lines = [__doc__.strip(), "", "Verbs (`zxforensics help VERB` for one):"]
    for verb in sorted(VERBS.values(), key=lambda v: v.name.lower()):
        lines.append(f"  {verb.syntax()}")
    return "\n".join(lines)


def split_options(argv: list[str]) -> tuple[dict, list[str]]:
    """Options before the verb (`--json`, `--csv`, `--tz ZONE`, `--force`, `--debug`), like `zxsuite --json`."""
    options = {"format": "text", "tz": None, "force": False, "debug": False}
    rest = list(argv)
    while rest and rest[0].startswith("--"):
        flag = rest.pop(0)
        if flag in OUTPUT_FORMATS:
            options["format"] = flag[2:]
        elif flag == "--tz" and rest:
            options["tz"] = rest.pop(0)
        elif flag in ("--force", "--debug", "--version"):
            options[flag[2:]] = True
        elif flag in ("--help", "-h"):
            options["help"] = True
        else:
            raise UsageError(f"unknown option {flag}")
    # also accept output flags after the verb, where people tend to type them
    for flag in OUTPUT_FORMATS:
        if flag in rest[1:]:
            rest.remove(flag)
            options["format"] = flag[2:]
    return options, rest


def drop_vendor_prefix(rest: list[str]) -> list[str]:
    """A line pasted from the vendor's docs without its prefix: `zxsuite backup getItem a 1` -> `getItem a 1`,
    `zxsuite help backup getItem` -> `help getItem`; a pasted command of another module is refused."""
    if not rest or rest[0].lower() not in VENDOR_COMMANDS:
        return rest
    words = rest[1:]
    if words[:1] == ["help"]:
        words = ["help", *words[1:]]
        if words[1:2] == [VENDOR_MODULE]:
            words.pop(1)
        return words
    if [w.lower() for w in words[:1]] != [VENDOR_MODULE]:
        module = words[0] if words else "(none)"
        raise UsageError(f"`{rest[0]} {module}` is not a backup command: zxforensics runs the `{rest[0]} backup` verbs")
    return words[1:]


def help_text(rest: list[str]) -> str:
    """`help` alone lists the verbs; `help VERB` shows one verb's syntax (an unknown verb is a usage error)."""
    topic = rest[1] if len(rest) > 1 and rest[0] == "help" else None
    if topic is None:
        return general_help()
    if topic.lower() not in VERBS:
        raise UsageError(f"unknown command {topic!r}")
    return VERBS[topic.lower()].usage()


def main(argv: list[str] | None = None) -> int:
    with warnings.catch_warnings():  # the caller's warning display comes back when the verb is done
        warnings.showwarning = partial(show_warning, warnings.showwarning)
        return run_verb(sys.argv[1:] if argv is None else argv)


def show_warning(others: Callable, message, category, filename, lineno, file=None, line=None) -> None:
    """The kit's own warnings (`zxforensics: ...`: an index it cannot use or keep) as one escaped line on
    stderr, as its errors are, without Python's source line; any other warning as `others` shows it."""
    text = str(message)
    if text.startswith("zxforensics: "):
        print(f"warning: {escape(text.removeprefix('zxforensics: '))}", file=file or sys.stderr)
    else:
        others(message, category, filename, lineno, file, line)


def run_verb(argv: list[str]) -> int:
    load_verbs()
    options: dict = {"debug": "--debug" in argv}
    verb = None
    try:
        options, rest = split_options(argv)
        if rest and rest[0].lower() in VENDOR_COMMANDS:  # options may stand on either side of the prefix
            more, rest = split_options(drop_vendor_prefix(rest))
            options.update({k: v for k, v in more.items() if v not in (None, False, "text")})
        if options.get("version"):
            print(f"zxforensics {__version__}")
            return EXIT_OK
        if not rest or options.get("help") or rest[0] in ("help", "-h"):
            print(help_text(rest))
            return EXIT_OK
        verb = VERBS.get(rest[0].lower())
        if verb is None:
            raise UsageError(f"unknown command {rest[0]!r}")
        if any(word in ("--help", "-h") for word in rest[1:]):  # `VERB --help`: never a path, a value or a name
            print(verb.usage())
            return EXIT_OK
        result = verb.run(verb.parse(rest[1:]), options)
        emit(result, options["format"])
        sys.stdout.flush()
    except BrokenPipeError:  # `| head` closed the pipe: not an error (Python docs, "Note on SIGPIPE")
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except (ZxError, OSError) as exc:  # the input, the evidence or the environment: one line
        if verb is not None and verb.on_error is not None:
            return emit_failure(verb, exc)
        print(f"error: {escape(str(exc))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:  # a bug of the kit: one line (the traceback before it with --debug), exit 70
        if options.get("debug"):
            traceback.print_exc()
        if verb is not None and verb.on_error is not None:
            return emit_failure(verb, exc)
        hint = "" if options.get("debug") else "; --debug before the verb shows the traceback"
        print(f"internal error (a bug of zxforensics, please report it{hint}): {type(exc).__name__}: "
              f"{escape(str(exc))}", file=sys.stderr)
        return EXIT_BUG
    return result.exit_code


def emit_failure(verb, exc: BaseException) -> int:
    """A verb that reports its own failures (the Nagios plugin API wants one UNKNOWN line on stdout)."""
    result = verb.on_error(exc)
    print(result.text)
    sys.stdout.flush()
    return result.exit_code


def emit(result, fmt: str) -> None:
    """Print a result as the vendor's text, JSON records or CSV.

    Text is escaped where it is built (`format.text`). JSON and CSV keep the exact values: JSON with every
    character text would escape written as `\\uXXXX`; CSV as it is into a pipe or a file (it feeds tools,
    and a changed value is a changed finding), with a warning on stderr when a cell could run as a
    spreadsheet formula. CSV shown on a terminal has its text cells escaped as text is: an ESC or a CR
    from the evidence must not drive the terminal."""
    if fmt == "json" and result.frame is not None:
        # pandas writes ISO dates; orjson re-emits without pandas' escaped slashes
        records = orjson.loads(result.frame.to_json(orient="records", date_format="iso"))
        print(escape_json(orjson.dumps(records, option=orjson.OPT_INDENT_2).decode()))
    elif fmt == "csv" and result.frame is not None:
        warn_formulas(result.frame)
        frame = escape_frame(result.frame) if on_terminal() else result.frame
        sys.stdout.write(frame.to_csv(index=False))
    elif result.text is not None:
        print(result.text)
    elif result.frame is not None:
        print(escape_lines(frame_text(result.frame)))


def on_terminal() -> bool:
    """Whether stdout is a terminal (a stream replaced by one without `isatty` is not)."""
    isatty = getattr(sys.stdout, "isatty", None)
    return bool(isatty is not None and isatty())


def escape_frame(frame):
    """A copy of a frame with every text cell and column name `escape`d (for a terminal, never a file)."""
    shown = frame.rename(columns=lambda name: escape(name) if isinstance(name, str) else name)
    for column in range(shown.shape[1]):
        values = shown.iloc[:, column]
        if is_text(values):
            shown.isetitem(column, values.astype(object).map(_escape_cell))
    return shown


def _escape_cell(value: object) -> object:
    return escape(value) if isinstance(value, str) else value


def is_text(values) -> bool:
    """A column that may hold text: object, string (pandas 3 infers `str`) or categorical."""
    import pandas as pd  # the CLI imports pandas only when a verb needs it

    return values.dtype == object or isinstance(values.dtype, (pd.StringDtype, pd.CategoricalDtype))


def frame_text(frame) -> str:
    """A frame as plain text, its booleans the vendor's `true`/`false`."""
    shown = frame.copy()
    for column in shown.columns:
        if shown[column].dtype == bool or str(shown[column].dtype) == "boolean":
            shown[column] = shown[column].map(fmt_value)
    return shown.to_string(index=False)


def warn_formulas(frame) -> None:
    """Say on stderr how many text cells a spreadsheet could run as formulas (`=cmd|...`, `@SUM(...)`)."""
    found = 0
    for column in frame.columns:
        if is_text(frame[column]):
            found += sum(1 for value in frame[column].astype(object) if looks_like_formula(value))
    if found:
        print(f"warning: {found} cells start with = + - @ or a control character: open this CSV in a spreadsheet "
              "only by importing its columns as text", file=sys.stderr)
