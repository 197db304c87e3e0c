"""Reading order-line changes out of retailers' own words (zh and en) against the catalog
(actions/order_reading.py over lang.order_changes and lang.products), and their numerals."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.order_reading import requested_lines as parse_order_request
from lang.numerals import parse_number
from lang.order_changes import MAX_CLAUSES, find_quantities, fold_width
from retail.clock import FixedClock
from retail.db import Database
from retail.models import Product
from tests.conftest import NOW, _seeded


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("12", 12),
        ("两", 2),
        ("俩", 2),
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("一百零五", 105),
        ("一百五", 150),
        ("三千五", 3500),
        ("1万2", 12000),
        ("twenty", 20),
        ("两三", None),
        ("abc", None),
        ("", None),
    ],
)
def test_numbers_are_read_as_retailers_write_them(token: str, expected: int | None) -> None:
    assert parse_number(token) == expected


def test_numerals_inside_words_are_not_quantities() -> None:
    assert find_quantities("看一下 一样 周二 十几条") == []


def test_full_width_text_keeps_its_positions() -> None:
    assert fold_width("芙蓉王（硬）改６条") == "芙蓉王(硬)改6条"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """The demo catalog, seeded once: parsing only reads it."""
    path: Path = tmp_path_factory.mktemp("requests") / "retail.db"
    database = _seeded(f"sqlite:///{path}", FixedClock(NOW))
    yield database
    database.dispose()


def _specs(session: Session) -> dict[int, str]:
    return {p.id: p.spec for p in session.scalars(select(Product))}


def _parse(db: Database, text: str, **kwargs: object) -> list[tuple[str, str, int | None, str]]:
    with db.session() as session:
        specs = _specs(session)
        return [
            (
                specs.get(r.product_id, r.phrase) if r.product_id else r.phrase,
                r.action,
                r.quantity,
                r.unit,
            )
            for r in parse_order_request(session, text, **kwargs)  # type: ignore[arg-type]
        ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "白沙改成3条,芙蓉王再加2条",
            [("白沙(硬)", "set", 3, "carton"), ("芙蓉王(硬)", "add", 2, "carton")],
        ),
        ("硬芙加两条", [("芙蓉王(硬)", "add", 2, "carton")]),
        ("去掉双喜", [("双喜(硬)", "remove", None, "carton")]),
        ("白沙不要了", [("白沙(硬)", "remove", None, "carton")]),
        ("芙蓉王减一条", [("芙蓉王(硬)", "reduce", 1, "carton")]),
        ("硬芙少订两条", [("芙蓉王(硬)", "reduce", 2, "carton")]),
        ("再来一条软中华", [("中华(软)", "add", 1, "carton")]),
        ("软尚善加到六条", [("玉溪(软尚善)", "set", 6, "carton")]),
        ("把白沙从十条改成六条", [("白沙(硬)", "set", 6, "carton")]),
        ("玉溪不要那么多 改两条", [("玉溪(软尚善)", "set", 2, "carton")]),
        ("加一件白沙", [("白沙(硬)", "add", 1, "case")]),
        ("白沙加半件", [("白沙(硬)", "add", 25, "carton")]),
        ("白沙加一件半", [("白沙(硬)", "add", 75, "carton")]),
        ("白沙加一条半", [("白沙(硬)", "add", 15, "pack")]),
        ("add half a case of Baisha", [("白沙(硬)", "add", 25, "carton")]),
        ("红梅再来20包", [("醇香红梅", "add", 20, "pack")]),
        ("芙容王 加1条", [("芙蓉王(硬)", "add", 1, "carton")]),
        ("把利裙去掉", [("利群(新版)", "remove", None, "carton")]),
        ("再加点白沙 三条", [("白沙(硬)", "add", 3, "carton")]),
        ("再加点白沙,三条", [("白沙(硬)", "add", 3, "carton")]),
        (
            "宏声来十五条 红梅来十条",
            [("时尚宏声", "set", 15, "carton"), ("醇香红梅", "set", 10, "carton")],
        ),
        (
            "硬白沙20条 硬芙10条 利群5条",
            [
                ("白沙(硬)", "set", 20, "carton"),
                ("芙蓉王(硬)", "set", 10, "carton"),
                ("利群(新版)", "set", 5, "carton"),
            ],
        ),
        (
            "和天下减一条 硬中华加一条",
            [("白沙(和天下)", "reduce", 1, "carton"), ("中华(硬)", "add", 1, "carton")],
        ),
        (
            "兰州不要了 换成硬红兰州五条",
            [("兰州(硬如意)", "remove", None, "carton"), ("兰州(硬红)", "set", 5, "carton")],
        ),
        ("芙蓉王（硬）改6条", [("芙蓉王(硬)", "set", 6, "carton")]),
        ("remove Shuangxi", [("双喜(硬)", "remove", None, "carton")]),
        ("add 2 cartons of Baisha", [("白沙(硬)", "add", 2, "carton")]),
        ("add one case of Baisha", [("白沙(硬)", "add", 1, "case")]),
        ("add 2 packs of Shuangxi", [("双喜(硬)", "add", 2, "pack")]),
        ("set Furongwang to 5", [("芙蓉王(硬)", "set", 5, "carton")]),
        ("reduce Furongwang hard by 2", [("芙蓉王(硬)", "reduce", 2, "carton")]),
        ("cut Shuangxi down to 3", [("双喜(硬)", "set", 3, "carton")]),
        ("one less Furongwang", [("芙蓉王(硬)", "reduce", 1, "carton")]),
        (
            "add two cartons of Huangguoshu and one of Xiongshi",
            [("黄果树(佳品)", "add", 2, "carton"), ("雄狮(硬)", "add", 1, "carton")],
        ),
        (
            "change furongwang to 8 cartons and remove shuangxi",
            [("芙蓉王(硬)", "set", 8, "carton"), ("双喜(硬)", "remove", None, "carton")],
        ),
        (
            "Baisha 3, Liqun 2",
            [("白沙(硬)", "set", 3, "carton"), ("利群(新版)", "set", 2, "carton")],
        ),
        (
            "swap Honghe for Hongsheng 5 cartons",
            [("红河(盖)", "remove", None, "carton"), ("时尚宏声", "set", 5, "carton")],
        ),
    ],
)
def test_changes_are_read_from_the_message(
    db: Database, text: str, expected: list[tuple[str, str, int | None, str]]
) -> None:
    assert _parse(db, text) == expected


def test_a_negative_quantity_is_kept_negative_for_the_planner_to_refuse(db: Database) -> None:
    assert _parse(db, "白沙加-5条") == [("白沙(硬)", "add", -5, "carton")]


def test_a_product_without_a_quantity_is_asked_about_not_guessed(db: Database) -> None:
    assert _parse(db, "加点白沙") == [("白沙(硬)", "add", None, "carton")]


def test_an_unknown_product_is_reported_with_the_words_used(db: Database) -> None:
    assert _parse(db, "中南海加两条,白沙加一条") == [
        ("中南海加两条", "add", 2, "carton"),
        ("白沙(硬)", "add", 1, "carton"),
    ]


def test_a_message_without_a_change_gives_nothing(db: Database) -> None:
    assert _parse(db, "看看我的订单") == []
    assert _parse(db, "") == []


def test_a_bare_brand_prefers_the_spec_already_on_the_order(db: Database) -> None:
    with db.session() as session:
        premium = session.scalar(select(Product).where(Product.spec == "白沙(精品)"))
        assert premium is not None
        [request] = parse_order_request(session, "白沙加两条", prefer=[premium.id])
    assert request.product_id == premium.id


def test_a_product_entity_adds_what_the_text_matcher_missed(db: Database) -> None:
    entities = [{"entity": "product", "value": "白沙(硬)", "start": 3, "end": 5}]
    assert _parse(db, "加两条小白", entities=entities) == [("白沙(硬)", "add", 2, "carton")]


def test_a_quantity_entity_fills_a_number_the_text_could_not_read(db: Database) -> None:
    entities = [{"entity": "quantity", "value": "20", "start": 4, "end": 5}]
    assert _parse(db, "白沙改成廿条", entities=entities) == [("白沙(硬)", "set", 20, "carton")]


def test_a_quantity_entity_is_in_cartons_whatever_unit_was_said(db: Database) -> None:
    """The NLU normalises 半件 to 25 (条); a value that is not whole 条 is not used."""
    whole = [{"entity": "quantity", "value": 25, "start": 3, "end": 5}]
    assert _parse(db, "白沙加好些", entities=whole) == [("白沙(硬)", "add", 25, "carton")]
    part = [{"entity": "quantity", "value": 2.5, "start": 3, "end": 5}]
    assert _parse(db, "白沙加好些", entities=part) == [("白沙(硬)", "add", None, "carton")]


def test_an_entity_contradicting_the_text_does_not_override_it(db: Database) -> None:
    entities = [{"entity": "product", "value": "双喜(硬)", "start": 0, "end": 2}]
    assert _parse(db, "白沙加两条", entities=entities) == [("白沙(硬)", "add", 2, "carton")]


@pytest.mark.parametrize(
    "text",
    [
        "白沙加1条," * 2500,
        "白沙 加 1 条 " * 1000,
        "'; DROP TABLE orders; -- 白沙加2条",
        "<script>alert(1)</script>白沙加99999999999999999999条",
        "😀🚬" * 2000,
        "\x00\u200b\ufeff",
        "加减条包件,。 白沙芙蓉王abc1234567890两三" * 150,
    ],
)
def test_odd_messages_are_read_quickly_and_bounded(db: Database, text: str) -> None:
    started = time.monotonic()
    with db.session() as session:
        requests = parse_order_request(session, text)
    assert time.monotonic() - started < 3
    assert len(requests) <= MAX_CLAUSES
