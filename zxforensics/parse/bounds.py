"""The bounds every parser keeps: numbers in int64, costs bounded per file (FORMAT.md §9, §10).

A value out of range is a bad value of that file (an `invalid_metadata` note or a ParseError),
never an exception that escapes: an OverflowError while building a frame stopped whole verbs.
"""

from __future__ import annotations

INT64_MIN = -(2**63)  # [Arrow, pandas] the int64 columns of the frames
INT64_MAX = 2**63 - 1
MAX_STATES_PER_ITEM = 100_000  # [ours] states kept of one item; a real history has tens
MAX_ITEM_FILE_BYTES = 32 * 1024 * 1024  # [ours] an item file parsed at all: 100,000 states of ~300 bytes
# [ours] objects and arrays in one item file (a state is one, its tags another): 4 per kept state.
# `[{},{},...]` costs 64 bytes of memory per 3 bytes of file, so this bounds what parsing may take.
MAX_ITEM_CONTAINERS = 4 * MAX_STATES_PER_ITEM
COUNT_CONTAINERS_FROM = 1024 * 1024  # bytes: a smaller file is parsed without counting (+30% on a 1 KB file)
MAX_MESSAGE_VALUE = 60  # characters of a bad value quoted in a note


def short(value: object, width: int = MAX_MESSAGE_VALUE) -> str:
    """A value for a note, cut: a hostile one can be megabytes, or a structure nested 1,000 deep
    (whose repr would recurse), so containers are named by their type only."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        text = f"an int of {value.bit_length()} bits"  # repr() refuses past 4,300 digits
    elif isinstance(value, str | int | float) and not isinstance(value, bool):
        text = repr(value)
    else:
        text = type(value).__name__ if value is not None and not isinstance(value, bool) else repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def nested_deeper(value: object, limit: int) -> bool:
    """Whether `value` nests lists and objects deeper than `limit` (walked without recursion)."""
    stack = [(value, 0)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, dict | list):
            if depth >= limit:
                return True
            stack.extend((child, depth + 1) for child in (current.values() if isinstance(current, dict) else current))
    return False


def as_int64(value: object, what: str) -> int | None:
    """An integer field as the kit keeps it: None for null or empty, else an int in int64.

    Raises ValueError (a boolean, a container, text that is no integer, inf, nan, out of range)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{what} is {short(value)}, not an integer")
    try:
        number = int(value)
    except (ValueError, OverflowError):
        raise ValueError(f"{what} is {short(value)}, not an integer") from None
    if not INT64_MIN <= number <= INT64_MAX:
        raise ValueError(f"{what} {short(value)} is out of the int64 range")
    return number
