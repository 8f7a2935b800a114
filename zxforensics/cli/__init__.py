"""`zxforensics`: the vendor's `zxsuite backup` verbs, offline and read-only.

    zxforensics [--json|--csv] [--tz ZONE] VERB [positionals] [attr value ...]

Copy a command from the Zextras docs and replace `zxsuite backup` with `zxforensics`.
"""

from __future__ import annotations

import os
import sys
from importlib import import_module

import orjson

from ..errors import ZxError
from ..format.dates import BadDate
from .registry import VERBS, UsageError

# Modules that register verbs (one per investigation).
VERB_MODULES = ("items", "report", "restore", "server", "audit")
OUTPUT_FORMATS = ("--json", "--csv")


def load_verbs() -> None:
    for name in VERB_MODULES:
        import_module(f".{name}", __name__)


def general_help() -> str:
    lines = [__doc__.strip(), "", "Verbs:"]
    for verb in sorted(VERBS.values(), key=lambda v: v.name.lower()):
        lines.append(f"  {verb.syntax()}")
    return "\n".join(lines)


def split_options(argv: list[str]) -> tuple[dict, list[str]]:
    """Options before the verb (`--json`, `--csv`, `--tz ZONE`, `--force`), like `zxsuite --json`."""
    options = {"format": "text", "tz": None, "force": False}
    rest = list(argv)
    while rest and rest[0].startswith("--"):
        flag = rest.pop(0)
        if flag in OUTPUT_FORMATS:
            options["format"] = flag[2:]
        elif flag == "--tz" and rest:
            options["tz"] = rest.pop(0)
        elif flag == "--force":
            options["force"] = True
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


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    load_verbs()
    try:
        options, rest = split_options(argv)
        if not rest or options.get("help") or rest[0] in ("help", "-h"):
            topic = rest[1] if len(rest) > 1 and rest[0] == "help" else None
            print(VERBS[topic.lower()].usage() if topic and topic.lower() in VERBS else general_help())
            return 0
        verb = VERBS.get(rest[0].lower())
        if verb is None:
            raise UsageError(f"unknown command {rest[0]!r}; `zxforensics help` lists them")
        try:
            values = verb.parse(rest[1:])
        except UsageError as exc:
            print(exc, file=sys.stderr)
            print("\n" + verb.usage(), file=sys.stderr)
            return 1
        result = verb.run(values, options)
    except (ZxError, BadDate, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        emit(result, options["format"])
        sys.stdout.flush()
    except BrokenPipeError:  # `| head` closed the pipe: not an error (Python docs, "Note on SIGPIPE")
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return result.exit_code


def emit(result, fmt: str) -> None:
    """Print a result as the vendor's text, JSON records or CSV."""
    if fmt == "json" and result.frame is not None:
        # pandas writes ISO dates; orjson re-emits without pandas' escaped slashes
        records = orjson.loads(result.frame.to_json(orient="records", date_format="iso"))
        print(orjson.dumps(records, option=orjson.OPT_INDENT_2).decode())
    elif fmt == "csv" and result.frame is not None:
        sys.stdout.write(result.frame.to_csv(index=False))
    elif result.text is not None:
        print(result.text)
    elif result.frame is not None:
        print(result.frame.to_string(index=False))
