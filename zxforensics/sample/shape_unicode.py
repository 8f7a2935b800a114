"""The `unicode` store shape: non-ASCII text in every place a name or a value can hold it.

Addresses with non-ASCII local parts and IDN domains (SMTPUTF8 mail), display names in several
scripts (right-to-left ones too), folder, document, tag and contact names, subjects, COS and domain
names, config values and customization members. Printable text only: control characters are another
test's hostile input.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime

from .builder import StoreBuilder
from .catalog import FIRST_SCAN, LAST_SCAN, AccountSpec, ms
from .generate import AccountPlan, chain, history

UTF8_POLICY = EmailPolicy(utf8=True, linesep="\n")
UNICODE_ACCOUNTS = [
    AccountSpec("josé.müller@exämple.com", "José Müller", aliases=("j.müller@exämple.com",)),
    AccountSpec("用户@例子.中国", "张伟 (Zhang Wei)"),
    AccountSpec("σωκράτης@παράδειγμα.ελ", "Σωκράτης Παπαδόπουλος", cos="nobackup"),
    AccountSpec("مريم@مثال.مصر", "مريم حداد", status="locked"),
    AccountSpec("дмитрий@пример.рф", "Дмитрий Ёлкин", status="closed", deleted_ms=ms(2014, 1, 20, 8, 30, 0)),
]
FOLDERS = ("Проекты", "請求書", "Ärchiv 2014", "עברית", "📁 Emoji")
SUBJECTS = ("Réunion — 会議 📅", "Ελληνικό θέμα: προϋπολογισμός", "مرحبا بالعالم", "Счёт № 42 «срочно»",
            "Zoë's naïve café ☕", "日本語の件名テスト")  # fmt: skip
DOCUMENTS = ("schéma_日本.pdf", "Übersicht März.xlsx", "договор.docx")
TAGS = ("важно", "重要", "à suivre")
UNICODE_COS = {"cos": {"équipe-東京": {"cn": "équipe-東京", "description": "Équipe de Tokyo — 東京チーム",
                                       "zimbraMailQuota": "0"}},
               "globalConfig": {"zimbraNotes": "Serveur de l’équipe — 東京 ✓", "zimbraSpamSubjectTag": "[垃圾邮件]"},
               "serverConfig": {"zimbraNotes": {"test.domain.com": "Сервер в Москве — ✓"}}}  # fmt: skip
UNICODE_MEMBERS = {
    0: {"conf/ünïcødé.cf": "clé = valeur ✓\n".encode(), "postfix/conf/日本語.map": "例子.中国 OK\n".encode()},
    1: {"conf/ünïcødé.cf": "clé = nouvelle valeur ✓✓\n".encode(),
        "postfix/conf/日本語.map": "例子.中国 OK\nexämple.com REJECT ✗\n".encode()},
}  # fmt: skip


def message(n: int, sender: AccountSpec, recipient: str, subject: str, when_ms: int) -> bytes:
    """An SMTPUTF8 message: UTF-8 headers as they are, a UTF-8 body."""
    msg = EmailMessage(policy=UTF8_POLICY)
    msg["From"] = f"{sender.display} <{sender.mail}>"
    msg["To"] = recipient
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.fromtimestamp(when_ms / 1000, UTC))
    msg["Message-ID"] = f"<unicode-{n}@exämple.com>"
    msg.set_content(f"{subject}\n\nBonjour, こんにちは, привет, مرحبا — {sender.display}\n")
    return msg.as_bytes()


def _add(builder: StoreBuilder, plan: AccountPlan, fields: dict, folder_id: int, rng: random.Random,
         raw: bytes | None = None) -> int:  # fmt: skip
    """One item with a history of states (moves, reads, sometimes deletion) and its blob if any."""
    item_id = plan.take_id()
    created = rng.randint(FIRST_SCAN, LAST_SCAN - 2 * 86_400_000)
    states = history(rng, created, folder_id, LAST_SCAN)
    for number, state in enumerate(states, start=1):
        state.update({"id": item_id, "revision": number, "date": created, **fields})
        if raw is not None:
            state["digest"], state["size"] = builder.blob(raw), len(raw)
    builder.item(plan.spec.account_id, item_id, chain(states))
    plan.item_ids.append(item_id)
    return item_id


def populate_unicode(builder: StoreBuilder, rng: random.Random, spec: AccountSpec, peers: list[str]) -> list[int]:
    """Fill one account: Unicode folders, then messages, documents, contacts and tags named in many
    scripts. Returns the ids of the items that are not folders."""
    plan = AccountPlan(spec)
    by_mail = {s.mail: s for s in UNICODE_ACCOUNTS}
    for offset, name in enumerate(FOLDERS):
        folder_id = plan.take_id()
        state = {"id": folder_id, "type": "folder", "name": name, "parentId": 1, "folderId": 1,
                 "startDate": FIRST_SCAN + offset * 1000, "deleted": False, "revision": 1}  # fmt: skip
        builder.item(spec.account_id, folder_id, chain([state]))
        plan.folder_ids.append(folder_id)
    for n, subject in enumerate(SUBJECTS):
        sender = by_mail[peers[n % len(peers)]]
        raw = message(plan.next_id, sender, spec.mail, subject, FIRST_SCAN + n * 86_400_000)
        fields = {"type": "message", "subject": subject, "sender": f"{sender.display} <{sender.mail}>"}
        _add(builder, plan, fields, rng.choice([2, *plan.folder_ids]), rng, raw)
    for name in DOCUMENTS:
        raw = f"%PDF-1.4\n% {name} — {spec.display}\n%%EOF\n".encode()
        _add(builder, plan, {"type": "document", "name": name}, 16, rng, raw)
    for peer in peers[:2]:
        _add(builder, plan, {"type": "contact", "name": by_mail[peer].display}, 7, rng)
    for tag in TAGS:
        _add(builder, plan, {"type": "tag", "name": tag}, 1, rng)
    return plan.item_ids
