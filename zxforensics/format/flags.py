"""Zimbra's item flags (the `flags` bitmask of a state, FORMAT.md §4) and their mail-folder spellings.

The bits are Zimbra's `com.zimbra.cs.mailbox.Flag.FlagInfo` (zm-mailbox,
store/src/java/com/zimbra/cs/mailbox/Flag.java): each flag has a negative id and its bit is
`1 << (-id - 1)`: FROM_ME -1, ATTACHED -2, REPLIED -3, FORWARDED -4, COPIED -5, FLAGGED -6,
DRAFT -7, DELETED -8, NOTIFIED -9, UNREAD -10, HIGH_PRIORITY -11, LOW_PRIORITY -12.
Zimbra keeps UNREAD, not "seen": a message is seen when its UNREAD bit is clear.
"""

from __future__ import annotations

FROM_ME = 1 << 0  # \Sent
ATTACHED = 1 << 1
REPLIED = 1 << 2  # \Answered
FORWARDED = 1 << 3
COPIED = 1 << 4
FLAGGED = 1 << 5
DRAFT = 1 << 6
DELETED = 1 << 7  # IMAP \Deleted (marked, not yet expunged): not the backup's `deleted` state
NOTIFIED = 1 << 8
UNREAD = 1 << 9
HIGH_PRIORITY = 1 << 10
LOW_PRIORITY = 1 << 11


def as_bits(flags: object) -> int:
    """A state's `flags` as an int (missing or unreadable: no flag set)."""
    try:
        return int(flags)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 0


def maildir_info_flags(flags: object) -> str:
    """Maildir info flags, in the ASCII order the Maildir spec asks for: D draft, F flagged, P passed
    (forwarded), R replied, S seen (UNREAD clear), T trashed (Zimbra's DELETED flag)."""
    bits = as_bits(flags)
    chosen = [(DRAFT, "D"), (FLAGGED, "F"), (FORWARDED, "P"), (REPLIED, "R")]
    letters = [letter for bit, letter in chosen if bits & bit]
    if not bits & UNREAD:
        letters.append("S")
    if bits & DELETED:
        letters.append("T")
    return "".join(letters)


def mbox_status(flags: object) -> tuple[str, str]:
    """`Status` and `X-Status` of an mbox message (mutt, Python's mboxMessage): Status R read and O old
    (not new: it was in the mailbox already); X-Status A answered, F flagged, T draft, D deleted."""
    bits = as_bits(flags)
    status = "O" if bits & UNREAD else "RO"
    chosen = [(REPLIED, "A"), (FLAGGED, "F"), (DRAFT, "T"), (DELETED, "D")]
    return status, "".join(letter for bit, letter in chosen if bits & bit)
