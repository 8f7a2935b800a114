"""An account's header row (account_info + account_stat), from a folder or an account archive alike."""

from __future__ import annotations

from collections.abc import Callable

from ..errors import ErrorRecord, EvidenceError, ParseError
from ..format import layout
from ..parse.account import account_row, parse_account_info, parse_account_stat


def account_header(account_id: str, source_path: str, base: str, read: Callable[[str], bytes], errors) -> dict:
    """The accounts() row from `read(rel)` of account_info and account_stat; failures become errors."""
    row: dict = {"account_id": account_id, "source_path": source_path, "info": {}}
    for name, parse in ((layout.ACCOUNT_INFO, parse_account_info), (layout.ACCOUNT_STAT, parse_account_stat)):
        rel = f"{base}/{name}"
        problems: list[str] = []  # fields left out or nulled: out of range, nested too deep
        try:
            parsed = parse(read(rel), problems)
            if name == layout.ACCOUNT_INFO:
                row["info"] = parsed
                row.update({k: v for k, v in account_row(parsed, problems).items() if k != "account_id"})
            else:
                row.update(parsed)
        except (EvidenceError, ParseError) as exc:
            path = exc.path or rel  # an archive member's is `archive!/name`
            errors.append(ErrorRecord(path, exc.kind, exc.detail, account_id).as_dict())
        errors.extend(ErrorRecord(rel, "invalid_metadata", problem, account_id).as_dict() for problem in problems)
    return row
