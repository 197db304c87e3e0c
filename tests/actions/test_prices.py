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


async def test_a_comparison_names_the_higher_margin(run_action, db) -> None:
    messages, _ = await run_action(ActionPrice(), "10001", "双喜和利群哪个利润高", "ask_price")
    text = messages[0]["text"]
    shuangxi, liqun = _product(db, "双喜(硬)"), _product(db, "利群(新版)")

    def margin(p: Product) -> object:
        return p.retail_per_pack * 10 - p.wholesale_per_carton

    best = max((shuangxi, liqun), key=margin)
    assert f"每条毛利最高的是 {best.spec}:{format_money(margin(best))}" in text
    assert "双喜(硬)" in text and "利群(新版)" in text


async def test_a_brand_list_marks_limited_specs_with_the_retailers_quota(run_action) -> None:
    messages, _ = await run_action(ActionPrice(), "10001", "芙蓉王系列价格表发我", "ask_price")
    text = messages[0]["text"]
    assert text.startswith("芙蓉王全部规格的价格:")
    assert "芙蓉王(软蓝)" in text and "(限量,您每次最多 4 条)" in text
    assert "芙蓉王(硬中支)" in text


async def test_a_tier_list_in_english(run_action) -> None:
    messages, _ = await run_action(
        ActionPrice(), "10001", "list the high-end cigarettes", "ask_price"
    )
    text = messages[0]["text"]
    assert text.startswith("High-end products")
    assert "Zhonghua" in text and "Baisha (Hard)" not in text


async def test_a_per_pack_price_tier_without_exact_products_gives_the_nearest(run_action) -> None:
    messages, _ = await run_action(ActionPrice(), "10001", "2.5元那档的烟都有哪些", "ask_price")
    assert messages[0]["text"].startswith("没有建议零售价正好是 ¥2.50/包的品规")


async def test_a_discontinued_product_shows_the_replacement_and_its_price(run_action, db) -> None:
    replacement = _product(db, "时尚宏声")
    messages, _ = await run_action(ActionPrice(), "10001", "红河还能订吗", "ask_price")
    text = messages[0]["text"]
    assert "红河(盖)已停产" in text
    assert f"替代品规 时尚宏声:批发 {format_money(replacement.wholesale_per_carton)}/条" in text


async def test_a_limited_product_shows_the_asking_retailers_own_quota(run_action) -> None:
    three, _ = await run_action(ActionPrice(), "10001", "软蓝芙蓉王多少钱", "ask_price")
    five, _ = await run_action(ActionPrice(), "10002", "软蓝芙蓉王多少钱", "ask_price")
    assert "您是3星级,本周每次最多可订 4 条" in three[0]["text"]
    assert "您是5星级,本周每次最多可订 10 条" in five[0]["text"]


async def test_a_button_payload_asks_which_product(run_action) -> None:
    messages, _ = await run_action(ActionPrice(), "10001", "/ask_price", "ask_price")
    assert messages[0]["text"] == "您想查哪个品规的价格?比如「芙蓉王硬多少钱一条」。"
