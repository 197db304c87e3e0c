"""The price action: database figures, the user's language, and nothing for strangers."""

from __future__ import annotations

from sqlalchemy import select

from actions.prices import ActionPrice
from retail.db import Database
from retail.i18n import format_money
from retail.models import Product


def _product(db: Database, spec: str) -> Product:
    with db.session() as session:
        return session.scalar(select(Product).where(Product.spec == spec))


async def test_chinese_price_question_gets_database_prices_in_chinese(run_action, db) -> None:
    product = _product(db, "芙蓉王(硬)")
    messages, _ = await run_action(ActionPrice(), "10001", "芙蓉王硬多少钱一条", "ask_price")
    text = messages[0]["text"]
    assert "芙蓉王(硬)" in text
    assert f"批发价:{format_money(product.wholesale_per_carton)}/条" in text
    assert format_money(product.retail_per_pack) in text


async def test_english_price_question_gets_an_english_answer(run_action, db) -> None:
    product = _product(db, "利群(新版)")
    messages, _ = await run_action(ActionPrice(), "10001", "how much is Liqun", "ask_price")
    text = messages[0]["text"]
    assert f"Wholesale: {format_money(product.wholesale_per_carton)} per carton" in text
    assert "批发" not in text


async def test_the_product_entity_is_used_when_present(run_action) -> None:
    entities = [{"entity": "product", "value": "硬芙", "start": 0, "end": 2}]
    messages, _ = await run_action(
        ActionPrice(), "10001", "硬芙现在啥价", "ask_price", entities=entities
    )
    assert "芙蓉王(硬)" in messages[0]["text"]


async def test_an_unbound_sender_gets_no_price(run_action) -> None:
    messages, _ = await run_action(ActionPrice(), "99999", "芙蓉王硬多少钱一条", "ask_price")
    assert [m["text"] for m in messages] == ["请先绑定身份后再使用。发送 /start 查看绑定方法。"]


async def test_an_unknown_product_gets_suggestions(run_action) -> None:
    messages, _ = await run_action(ActionPrice(), "10001", "芙蓉多少钱", "ask_price")
    assert "芙蓉王(硬)" in messages[0]["text"]
    assert messages[0]["text"].startswith("没有找到")


async def test_a_discontinued_product_names_the_replacement(run_action) -> None:
    messages, _ = await run_action(ActionPrice(), "10002", "盖红河还有吗多少钱", "ask_price")
    assert "已停产" in messages[0]["text"] and "时尚宏声" in messages[0]["text"]


async def test_a_price_question_without_a_product_asks_which(run_action) -> None:
    messages, _ = await run_action(ActionPrice(), "10001", "多少钱", "ask_price")
    assert messages[0]["text"] == "您想查哪个品规的价格?比如「芙蓉王硬多少钱一条」。"
