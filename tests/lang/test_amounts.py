"""Money amounts and deposit statements as retailers type them (lang/amounts.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lang.amounts import find_amount, parse_amount, read_deposit_statement


@pytest.mark.parametrize(
    ("text", "amount", "done"),
    [
        ("刚存了2000", "2000.00", True),
        ("已经存了两千", "2000.00", True),
        ("存了1.5万", "15000.00", True),
        ("存了2k", "2000.00", True),
        ("刚刚存了一千五", "1500.00", True),
        ("存了¥3,000", "3000.00", True),
        ("12点存了2000", "2000.00", True),
        ("存好了", None, True),
        ("老婆去存了", None, True),
        ("知道了 下午去存", None, False),
        ("好 今晚转过去", None, False),
        ("I deposited 500 just now", "500.00", True),
        ("I will deposit 300 tomorrow", "300.00", False),
        ("存了-500", "-500.00", True),
    ],
)
def test_deposit_messages_are_read(text: str, amount: str | None, done: bool) -> None:
    statement = read_deposit_statement(text)
    assert statement.amount == (Decimal(amount) if amount else None)
    assert statement.done is done


def test_the_amount_entity_wins_when_it_holds_a_number() -> None:
    assert read_deposit_statement("存了", amount_entity="两千五").amount == Decimal("2500.00")
    assert read_deposit_statement("存了两千", amount_entity=2500).amount == Decimal("2500.00")
    assert read_deposit_statement("存了", amount_entity=1.5).amount == Decimal("1.50")
    assert parse_amount("no number here") is None


def test_a_minus_sign_the_entity_left_out_is_kept() -> None:
    assert read_deposit_statement("存了-500", amount_entity=500).amount == Decimal("-500.00")


@pytest.mark.parametrize("value", [None, True, float("nan"), float("inf"), "", "几千"])
def test_entity_values_that_hold_no_amount_fall_back_to_the_text(value: object) -> None:
    assert read_deposit_statement("存了2000", amount_entity=value).amount == Decimal("2000.00")


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("2000块", "2000.00"),
        ("三千块钱", "3000.00"),
        ("存了五块", "5.00"),
        ("存了1万2", "12000.00"),
        ("存了500 yuan", "500.00"),
        ("I deposited two thousand yuan", "2000.00"),
        ("存了-¥500", "-500.00"),
        ("存了 1,234.567 元", "1234.57"),
        ("存了２０００", "2000.00"),
        ("存了￥2000", "2000.00"),
        ("R001存了2000", "2000.00"),
        ("下午3点20存了2000", "2000.00"),
        ("11/24存了2000", "2000.00"),
        ("3:00存了500", "500.00"),
    ],
)
def test_amounts_are_read_however_they_are_written(text: str, amount: str) -> None:
    assert find_amount(text) == Decimal(amount)


@pytest.mark.parametrize(
    "text",
    ["刚存了一笔", "一会存", "存了两三千", "存了两条的钱", "存了一点五万", "今天11月24号"],
)
def test_numbers_that_are_not_an_amount_are_not_read_as_one(text: str) -> None:
    assert find_amount(text) is None


def test_an_absurdly_long_number_is_read_exactly_for_the_caller_to_refuse() -> None:
    amount = find_amount("存了" + "9" * 400)
    assert amount == Decimal("9" * 400)
    assert amount is not None and amount.as_tuple().exponent == -2
