"""Settlement status and deposit claims through the actions."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from actions.settlement import ActionDepositConfirm, ActionPaymentNotice, ActionSettlementStatus
from retail import access
from retail.db import Database
from retail.models import DepositClaim, OutboxMessage
from tests.actions.history import Said, conversation, run, tap


def _claims(db: Database) -> list[DepositClaim]:
    with db.session() as session:
        return list(session.scalars(select(DepositClaim)))


async def test_a_short_retailer_sees_balance_time_due_deduction_shortfall_and_deadline(
    run_action,
) -> None:
    messages, _ = await run_action(
        ActionSettlementStatus(), "10001", "我账户还有多少钱", "settlement_status"
    )
    text = messages[0]["text"]
    assert "张记烟酒" in text
    assert "余额:¥2,700.00(银行回报于 11月24日(周二) 07:30)" in text
    assert "本周订单应付:¥3,059.00" in text
    assert "扣款时间:" in text
    assert "还差 ¥359.00" in text


async def test_a_funded_retailer_is_told_the_balance_covers_the_order(run_action) -> None:
    messages, _ = await run_action(
        ActionSettlementStatus(), "10002", "how much is in my account", "settlement_status"
    )
    text = messages[0]["text"]
    assert "Balance: ¥9,860.50" in text and "covers this week's order" in text


async def test_asking_about_another_shop_still_shows_only_ones_own(run_action) -> None:
    messages, _ = await run_action(
        ActionSettlementStatus(), "10001", "李姐便利店的余额多少", "settlement_status"
    )
    text = messages[0]["text"]
    assert "张记烟酒" in text and "李姐" not in text and "9,860.50" not in text


async def test_a_manager_gets_a_polite_refusal(run_action) -> None:
    messages, _ = await run_action(
        ActionSettlementStatus(), "20001", "余额多少", "settlement_status"
    )
    assert messages[0]["text"] == "抱歉,这项功能不适用于您的账号类型。"


async def test_a_deposit_claim_is_offered_and_not_recorded_until_confirmed(run_action, db) -> None:
    said = Said("刚存了2000", "payment_notice", message_id="0123456789abcdef")
    messages, _ = await run(ActionPaymentNotice(), conversation("10001", said))
    [message] = messages
    assert "¥2,000.00" in message["text"]
    assert message["buttons"][0]["payload"] == '/deposit_confirm{"ref":"2000.00:0123456789ab"}'
    assert _claims(db) == []

    tracker = conversation("10001", said, tap("deposit_confirm", "2000.00:0123456789ab"))
    confirmed, _ = await run(ActionDepositConfirm(), tracker)
    [claim] = _claims(db)
    assert (claim.amount, claim.message) == (Decimal("2000.00"), "刚存了2000")
    texts = [m["text"] for m in confirmed]
    assert texts[0] == "已记录:您报告存入 ¥2,000.00。"
    assert "余额:¥2,700.00" in texts[-1] and "您报告已存入 ¥2,000.00" in texts[-1]
    with db.session() as session:
        pushes = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "deposit_claim"))
        assert [p.chat_id for p in pushes] == [20001]


async def test_a_promise_to_deposit_gets_the_amount_and_deadline_and_writes_nothing(
    run_action, db
) -> None:
    messages, _ = await run_action(
        ActionPaymentNotice(), "10001", "知道了 下午去存", "payment_notice"
    )
    assert "还差 ¥359.00" in messages[0]["text"] and not messages[0]["buttons"]
    assert _claims(db) == []


async def test_a_negative_or_huge_amount_is_refused_politely(run_action, db) -> None:
    for text in ("存了-500", "存了99999999999", "存了" + "9" * 400):
        messages, _ = await run_action(ActionPaymentNotice(), "10001", text, "payment_notice")
        assert "看起来不太对" in messages[0]["text"] and not messages[0]["buttons"]
    assert _claims(db) == []


async def test_a_confirmation_without_its_message_or_with_a_bad_amount_is_refused(
    run_action, db
) -> None:
    expired = "这个按钮已失效,请重新发起。"
    for ref in ("abc:def", "nonsense", "2000.00:unknownmessage"):
        tracker = conversation("10001", tap("deposit_confirm", ref))
        messages, _ = await run(ActionDepositConfirm(), tracker)
        assert messages[0]["text"] == expired
    said = Said("存了钱", "payment_notice", message_id="aaaabbbbccccdddd")
    tracker = conversation("10001", said, tap("deposit_confirm", "-5:aaaabbbbcccc"))
    messages, _ = await run(ActionDepositConfirm(), tracker)
    assert "看起来不太对" in messages[0]["text"]
    assert _claims(db) == []


async def test_a_double_tap_on_a_deposit_confirmation_records_one_claim(run_action, db) -> None:
    said = Said("刚存了2000", "payment_notice", message_id="0123456789abcdef")
    first = conversation("10001", said, tap("deposit_confirm", "2000.00:0123456789ab"))
    await run(ActionDepositConfirm(), first)
    second = conversation(
        "10001",
        said,
        tap("deposit_confirm", "2000.00:0123456789ab"),
        tap("deposit_confirm", "2000.00:0123456789ab"),
    )
    again, _ = await run(ActionDepositConfirm(), second)
    assert again[0]["text"] == (
        "这笔存款(¥2,000.00)已经记录过了,不会重复记录,客户经理也不会重复收到通知。"
    )
    assert "余额:¥2,700.00" in again[-1]["text"]
    assert len(_claims(db)) == 1
    with db.session() as session:
        pushes = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "deposit_claim"))
        assert [p.chat_id for p in pushes] == [20001]


async def test_a_repeated_deposit_confirmation_is_answered_in_english(run_action, db) -> None:
    with db.session() as session:  # the bot remembers the language the user last wrote in
        user = access.user_for(session, 10001)
        assert user is not None
        access.keep_language(user, "en")
    said = Said("I just deposited 500", "payment_notice", message_id="fedcba9876543210")
    for _ in range(2):
        tracker = conversation("10001", said, tap("deposit_confirm", "500.00:fedcba987654"))
        messages, _ = await run(ActionDepositConfirm(), tracker)
    assert messages[0]["text"].startswith("That deposit (¥500.00) is already recorded")
    assert len(_claims(db)) == 1
