"""A small store whose every text field is hostile: terminal escapes, forged lines, bidi overrides, Markdown.

Used by the tests of escaped text output and of the report: whatever the kit shows of it must come out
inert (escaped in a terminal, never live markup in the HTML).
"""

from __future__ import annotations

import os
import re
import tarfile

import orjson

from zxforensics.format.text import UNSAFE_CLASS
from zxforensics.sample.builder import StoreBuilder
from zxforensics.sample.server import config_json, tar_gz

# Clear the screen, retitle the terminal (OSC 0), a NUL, a forged line, a bidi override, a C1 CSI.
EVIL = "\x1b[2J\x1b]0;pwned\x07\x00\r\nforged: ok\u202eexe.txt\x9b31m"
EVIL_ESCAPED = "\\x1b[2J\\x1b]0;pwned\\x07\\x00\\r\\nforged: ok\\u202eexe.txt\\x9b31m"
BEACON = "![x](http://203.0.113.9/beacon.png)"
SCRIPT_LINK = "[a](javascript:alert(1))"
FORMULA = "=cmd|' /C calc'!A0"
RAW_HTML = "<img src=http://203.0.113.9/raw.png><script>alert(2)</script>"
ACCOUNT_ID = "acc-hostile"
MAIL = "alice@example.com"
EVIL_MAIL = f"{BEACON}{SCRIPT_LINK}"  # a second account's mail (the notification's `account:` token too)
EVIL_ACCOUNT_ID = "acc-markdown"
FOLDER_ID = 257
ITEM_ID = 300
BAD_DIGEST_ITEM = 301
BAD_DIGEST = "../../../../etc/passwd"
MESSAGE = b"From: x@example.com\r\nSubject: \x1b]0;owned\x07hi\r\n\r\nbody \x1b[31mred\x1b[0m\r\n"
UNSAFE = re.compile(f"[{UNSAFE_CLASS}]")
ESCAPE_TARGET = f"/tmp/zx-h6-escape-{os.getpid()}"  # where a mail used as a path would land
# account id -> a mail that must never become a path component (the folder falls back to the id)
PATH_MAILS = {
    "acc-dots": f"../../../..{ESCAPE_TARGET}", "acc-abs": ESCAPE_TARGET, "acc-nul": "a\x00b@example.com",
    "acc-long": "x" * 300 + "@example.com", "acc-twin1": "Twin@Example.com", "acc-twin2": "twin@example.com",
}  # fmt: skip
SAFE_ACCOUNT = ("acc-ok", "ok@example.com")


def build(builder: StoreBuilder) -> StoreBuilder:
    """Two accounts (one named with Markdown), a folder, a message and an item whose digest is a path,
    a map, and a server configuration: every name and value carries EVIL."""
    builder.backupstat("srv-1", 1_373_000_000_000, 1_393_556_400_000, 2)
    grant = (f"granteeId:{EVIL_ACCOUNT_ID};granteeName:{EVIL_MAIL};granteeType:usr;folderId:{FOLDER_ID};"
             f"folderPath:/E{EVIL}")
    builder.account({"zimbraId": ACCOUNT_ID, "mail": MAIL, "displayName": EVIL, "zimbraAccountStatus": "active",
                     "zimbraSharedItem": [grant]}, {"lastScan": 1_393_556_400_000})  # fmt: skip
    builder.account({"zimbraId": EVIL_ACCOUNT_ID, "mail": EVIL_MAIL, "zimbraAccountStatus": f"active{EVIL}"},
                    {"lastScan": 1_393_556_400_000})  # fmt: skip
    digest = builder.blob(MESSAGE)
    builder.item(ACCOUNT_ID, FOLDER_ID, [{"id": FOLDER_ID, "type": "folder", "name": f"Evil{EVIL}", "parentId": 1,
                                          "folderId": 1, "startDate": 1_370_000_000_000, "transactionId": 1}])
    builder.item(ACCOUNT_ID, ITEM_ID, [{"id": ITEM_ID, "type": "message", "folderId": FOLDER_ID, "deleted": True,
                                        "startDate": 1_373_639_744_000, "transactionId": 2, "digest": digest,
                                        "size": len(MESSAGE), "subject": f"S{EVIL}", "sender": f"x{EVIL}@y"}])
    builder.item(ACCOUNT_ID, BAD_DIGEST_ITEM, [{"id": BAD_DIGEST_ITEM, "type": f"message{EVIL}", "deleted": True,
                                                "folderId": FOLDER_ID, "startDate": 1_373_639_745_000,
                                                "transactionId": 3, "digest": BAD_DIGEST, "size": 10}])
    builder.item(EVIL_ACCOUNT_ID, 400, [{"id": 400, "type": "message", "folderId": 2, "deleted": True,
                                         "startDate": 1_373_639_746_000, "transactionId": 4, "subject": RAW_HTML,
                                         "sender": FORMULA, "digest": digest, "size": len(MESSAGE)}])
    builder.write(f"items/ab/stray{EVIL.replace(chr(0), '')}", b"not a blob")  # a file name is evidence too
    builder.write("map_src-1", f"src{EVIL.split()[0]} {EVIL_ACCOUNT_ID}\n".encode())
    before = [("config.json", config_json(0), tarfile.REGTYPE, 0, "")]
    builder.write("server/config_26_02_14#04_01_05.tar.gz", tar_gz(before, 1_393_383_665))
    config = orjson.loads(config_json(0))
    config["serverConfig"]["zimbraMailMode"] = {"test.domain.com": f"https{EVIL}"}
    config["serverConfig"][f"zimbraEvil{EVIL}"] = {"test.domain.com": RAW_HTML}
    members = [("config.json", orjson.dumps(config), tarfile.REGTYPE, 0, "")]
    builder.write("server/config_27_02_14#04_01_05.tar.gz", tar_gz(members, 1_393_470_065))
    return builder


def add_path_accounts(builder: StoreBuilder) -> None:
    """Accounts whose mail is a path, holds NUL, is over 255 bytes or differs from another only in case,
    and one plain account; each with message ITEM_ID."""
    raw = MESSAGE.replace(b"Subject:", b"Date: Fri, 12 Jul 2013 14:35:44 +0000\r\nSubject:")
    digest = builder.blob(raw)
    for account_id, mail in [*PATH_MAILS.items(), SAFE_ACCOUNT]:
        builder.account({"zimbraId": account_id, "mail": mail}, {"lastScan": 1_393_556_400_000})
        builder.item(account_id, ITEM_ID, [{"id": ITEM_ID, "type": "message", "folderId": 2, "transactionId": 5,
                                            "startDate": 1_373_639_744_000, "digest": digest, "size": len(raw)}])


def notification() -> str:
    """A restore notification whose header and `account:` lines carry EVIL, Markdown and HTML."""
    return (
        f"Operation: External Restore\nOperation ID: op{EVIL}\nServer: {RAW_HTML}\n"
        "Started: 03/03/2014 09:12:05\nEnded: 03/03/2014 09:57:41\n\n"
        "- stats -\nRestored Items: 1\nSkipped Items: 0\nUnrestored Items: 9\n\n"
        f"- unrestored items -\naccount: {MAIL}\nunrestored items: {ITEM_ID},{BAD_DIGEST_ITEM},{ITEM_ID}\n\n"
        f"account: {EVIL_MAIL}\nunrestored items: 400,401,400\n\n"
        + "".join(f"account: {account_id}\nunrestored items: {ITEM_ID}\n\n" for account_id in PATH_MAILS)
    )


def operations() -> str:
    """A saved getAllOperations output whose values carry EVIL."""
    return (
        "        operations\n"
        f"                id{' ' * 58}op-1\n"
        f"                operation{' ' * 51}SmartScan\n"
        f"                status{' ' * 54}RUNNING\n"
        f"                host{' ' * 56}{EVIL.split()[0]}\n"
        f"                author{' ' * 54}zimbra\n"
        f"                submitDate{' ' * 50}28/02/2014 04:00:00\n"
    )
