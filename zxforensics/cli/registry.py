"""Verbs of the CLI in the vendor's style: positionals, then `attr value` pairs.

A verb declares its parameters as the vendor's help does (NAME, TYPE, EXPECTED VALUES,
DEFAULT) and a function that returns a `Result`; parsing, defaults and errors live here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from ..errors import ZxError


class UsageError(ZxError):
    """A command line the verb cannot take; printed as one line, like the vendor's, naming the help
    command that shows the verb's syntax."""

    def __init__(self, message: str, verb: str | None = None) -> None:
        super().__init__(message)
        self.verb = verb

    def __str__(self) -> str:
        syntax = f"zxforensics help {self.verb}" if self.verb else "zxforensics help"
        return f"{self.args[0]} (syntax: `{syntax}`)"


@dataclass(frozen=True)
class Param:
    """One `attr value` parameter: a kind (`string`, `bool`, `int`, `path`, `date`) and its default;
    `required` ones are named parameters the verb cannot run without (`out DIR`)."""

    kind: str = "string"
    default: object = None
    choices: tuple[str, ...] = ()
    help: str = ""
    required: bool = False
    metavar: str = ""  # how a usage line names the value (`out DIR`), else the kind


@dataclass
class Result:
    """What a verb returns: a frame for --json/--csv, and the vendor's text for a person."""

    frame: pd.DataFrame | None = None
    text: str | None = None
    exit_code: int = 0


@dataclass
class Verb:
    name: str
    run: Callable[..., Result]
    positionals: tuple[str, ...] = ()
    optional_positionals: tuple[str, ...] = ()
    params: dict[str, Param] = field(default_factory=dict)
    help: str = ""
    # A verb that reports its own failures as a Result (usage, input, evidence or a bug), e.g. `check`,
    # whose callers (Nagios, Icinga) read one status line on stdout and exit 3 for UNKNOWN.
    on_error: Callable[[BaseException], Result] | None = None

    def syntax(self) -> str:
        words = [f"{{{p}}}" for p in self.positionals] + [f"[{p}]" for p in self.optional_positionals]
        return " ".join(["zxforensics", self.name, *words, "[attr1 value1 [attr2 value2...]]"])

    def usage(self) -> str:
        lines = [f"Syntax:\n   {self.syntax()}", "", "PARAMETER LIST", ""]
        lines.append(f"{'NAME':<22}{'TYPE':<12}{'EXPECTED VALUES':<36}DEFAULT")
        for name in self.positionals:
            lines.append(f"{name + '(M)':<22}{'String':<12}")
        for name, param in self.params.items():
            values = "|".join(param.choices) if param.choices else param.help
            default = "" if param.default is None else str(param.default).lower()
            mark = "(M)" if param.required else "(O)"
            lines.append(f"{name + mark:<22}{param.kind.title():<12}{values:<36}{default}")
        lines += ["", "(M) == mandatory parameter, (O) == optional parameter"]
        if self.help:
            lines += ["", self.help]
        return "\n".join(lines)

    def parse(self, args: list[str]) -> dict:
        """Positionals then `attr value` pairs -> a dict of typed values (defaults filled in)."""
        values: dict = {}
        rest = list(args)
        for name in self.positionals:
            if not rest or rest[0] in self.params:
                raise UsageError(f"command {self.name} requires more parameters", self.name)
            values[name] = rest.pop(0)
        for name in self.optional_positionals:
            if rest and rest[0] not in self.params:
                values[name] = rest.pop(0)
            else:
                values[name] = None
        if len(rest) % 2:
            raise UsageError(f"command {self.name}: parameter {rest[-1]!r} has no value", self.name)
        for name, value in zip(rest[::2], rest[1::2], strict=True):
            param = self.params.get(name)
            if param is None:
                known = ", ".join(self.params) or "none"
                raise UsageError(f"command {self.name}: unknown parameter {name!r} (known: {known})", self.name)
            values[name] = convert(self.name, name, param, value)
        for name, param in self.params.items():
            if param.required and values.get(name) is None:
                what = param.metavar or param.kind.upper()
                raise UsageError(f"command {self.name} requires more parameters: {name} {what}", self.name)
            values.setdefault(name, param.default)
        return values


def convert(verb: str, name: str, param: Param, value: str) -> object:
    if param.choices and value.lower() not in [c.lower() for c in param.choices]:
        raise UsageError(f"command {verb}: {name} must be one of {'|'.join(param.choices)}, not {value!r}", verb)
    if param.kind == "bool":
        if value.lower() not in ("true", "false"):
            raise UsageError(f"command {verb}: {name} must be true or false, not {value!r}", verb)
        return value.lower() == "true"
    if param.kind == "int":
        try:
            return int(value)
        except ValueError:
            raise UsageError(f"command {verb}: {name} must be an integer, not {value!r}", verb) from None
    return value


VERBS: dict[str, Verb] = {}


def verb(name: str, positionals=(), params: dict[str, Param] | None = None, optional_positionals=(), help: str = "",
         on_error: Callable[[BaseException], Result] | None = None):
    """Register a verb: `@verb("getItem", ("account", "item"), {"date": Param(...)})`."""

    def register(func: Callable[..., Result]) -> Callable[..., Result]:
        VERBS[name.lower()] = Verb(name, func, tuple(positionals), tuple(optional_positionals), params or {}, help,
                                   on_error)  # fmt: skip
        return func

    return register
