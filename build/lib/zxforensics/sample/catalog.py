"""Who is in the committed sample store: accounts, COS and servers, with stable ids.

Ids are UUID5 of a name, so every module of the generator (and every test) can name an
account's zimbraId without reading the store.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

NAMESPACE = uuid.UUID("6f3a2c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b")
SERVER_TZ = "Europe/Paris"  # CET/CEST, as in the seed's examples
SERVER_NAME = "test.domain.com"
DEFAULT_COS_ID = "e00428a1-0c00-11d9-836a-000d93afea2a"  # Zimbra's built-in default COS


def stable_id(name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, name))


SERVER_ID = stable_id("server:" + SERVER_NAME)
NOBACKUP_COS_ID = stable_id("cos:nobackup")
COS = {"default": DEFAULT_COS_ID, "nobackup": NOBACKUP_COS_ID}


def ms(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    """Epoch milliseconds of a UTC instant."""
    return int(datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp() * 1000)


FIRST_SCAN = ms(2013, 6, 1, 2, 0, 0)
LAST_SCAN = ms(2014, 2, 28, 3, 0, 0)


@dataclass(frozen=True)
class AccountSpec:
    mail: str
    display: str
    cos: str = "default"
    status: str = "active"
    deleted_ms: int | None = None
    aliases: tuple[str, ...] = ()
    created_ms: int = ms(2013, 5, 20, 9, 0, 0)
    extra: dict = field(default_factory=dict)

    @property
    def account_id(self) -> str:
        return stable_id("account:" + self.mail)

    @property
    def cos_id(self) -> str:
        return COS[self.cos]

    @property
    def domain(self) -> str:
        return self.mail.split("@", 1)[1]


ACCOUNTS = (
    AccountSpec("admin@example.com", "Administrator", aliases=("root@example.com", "postmaster@example.com")),
    AccountSpec("alice@example.com", "Alice Rossi", aliases=("a.rossi@example.com",)),
    AccountSpec("bob@example.com", "Bob Müller"),
    AccountSpec("frank@example.com", "Frank Ødegaard", status="locked"),
    AccountSpec("account1@domain.com", "Account One"),
    AccountSpec("account2@domain.com", "Account Two"),
    AccountSpec("account14@domain.com", "Account Fourteen"),
    AccountSpec("carol@domain.com", "Carla Dupont", aliases=("carla@domain.com",)),
    AccountSpec("dave@domain.com", "Dave García", status="closed", deleted_ms=ms(2014, 1, 15, 10, 0, 0)),
    AccountSpec("eve@domain.com", "Ève Nakamura", cos="nobackup"),
)
BY_MAIL = {spec.mail: spec for spec in ACCOUNTS}


def account_id(mail: str) -> str:
    """The sample's zimbraId of an account, by mail address."""
    return BY_MAIL[mail].account_id
