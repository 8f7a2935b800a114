"""Zimbra's flag bits (Flag.FlagInfo: bit = 1 << (-id - 1)) and their Maildir and mbox spellings."""

from __future__ import annotations

import mailbox

import pytest

from zxforensics.format import flags as zf


def test_bits_are_zimbras():
    ids = {"FROM_ME": -1, "ATTACHED": -2, "REPLIED": -3, "FORWARDED": -4, "COPIED": -5, "FLAGGED": -6,
           "DRAFT": -7, "DELETED": -8, "NOTIFIED": -9, "UNREAD": -10, "HIGH_PRIORITY": -11, "LOW_PRIORITY": -12}
    assert {name: getattr(zf, name) for name in ids} == {name: 1 << (-i - 1) for name, i in ids.items()}
    assert (zf.UNREAD, zf.FLAGGED, zf.REPLIED) == (512, 32, 4)


@pytest.mark.parametrize(("bits", "info", "status"), [
    (0, "S", ("RO", "")),  # Zimbra keeps UNREAD: no flag at all is a read message
    (zf.UNREAD, "", ("O", "")),
    (zf.FLAGGED | zf.REPLIED, "FRS", ("RO", "AF")),
    (zf.DRAFT, "DS", ("RO", "T")),
    (zf.DELETED | zf.UNREAD, "T", ("O", "D")),
    (zf.FORWARDED | zf.FROM_ME | zf.ATTACHED, "PS", ("RO", "")),
    (None, "S", ("RO", "")),
    ("junk", "S", ("RO", "")),
])  # fmt: skip
def test_maildir_and_mbox_flags(bits, info, status):
    assert zf.maildir_info_flags(bits) == info
    assert zf.mbox_status(bits) == status
    # Python's mailbox reads them back as the same flags
    message = mailbox.MaildirMessage()
    message.set_flags(info)
    assert message.get_flags() == info
