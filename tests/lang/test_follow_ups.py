"""Follow-up and elliptical-correction words (lang/follow_ups.py, lang/order_changes.py)."""

from __future__ import annotations

import pytest

from lang.follow_ups import has_variant, pick_variant, read_variant
from lang.order_changes import EllipticalChange, read_elliptical_change

ZHONGHUA = [("中华(硬)", "Zhonghua (Hard)"), ("中华(软)", "Zhonghua (Soft)")]
LANZHOU = [("兰州(硬如意)", "Lanzhou (Hard Ruyi)"), ("兰州(硬红)", "Lanzhou (Hard Red)")]


@pytest.mark.parametrize(
    ("text", "variant"),
    [
        ("换成软的", "soft"),
        ("那软包的呢", "soft"),
        ("how about the soft one?", "soft"),
        ("硬的呢", "hard"),
        ("no, the hard pack", "hard"),
        ("那利群呢", None),
        ("软的硬的都要", None),
    ],
)
def test_the_pack_variant_a_follow_up_asks_for(text: str, variant: str | None) -> None:
    assert read_variant(text) == variant


def test_a_variant_is_read_from_the_bracketed_part_of_the_spec() -> None:
    assert has_variant("芙蓉王(软蓝)", "Furongwang (Soft Blue)", "soft")
    assert not has_variant("软白沙精品", "", "soft")  # no bracket: no variant said
    assert has_variant("红塔山(硬经典)", "Hongtashan (Hard Classic)", "hard")


def test_picking_a_variant_leaves_out_the_current_spec() -> None:
    assert pick_variant("中华(硬)", ZHONGHUA, "soft") == ["中华(软)"]
    assert pick_variant("中华(软)", ZHONGHUA, "soft") == []
    assert pick_variant("兰州(硬如意)", LANZHOU, "hard") == ["兰州(硬红)"]
    assert pick_variant("利群(新版)", [("利群(新版)", "Liqun (New Edition)")], "soft") == []


@pytest.mark.parametrize(
    ("text", "change"),
    [
        ("改成4条", EllipticalChange("set", 4)),
        ("不对,改成4条", EllipticalChange("set", 4)),
        ("不对 是4条", EllipticalChange("set", 4)),
        ("说错了,是六条", EllipticalChange("set", 6)),
        ("不是3条 是5条", EllipticalChange("set", 5)),
        ("再加两条", EllipticalChange("add", 2)),
        ("少一条", EllipticalChange("reduce", 1)),
        ("加到十条", EllipticalChange("set", 10)),
        ("再加一件", EllipticalChange("add", 1, "case")),
        ("换成软的", EllipticalChange("set", None, "carton", "soft")),
        ("改成软的3条", EllipticalChange("set", 3, "carton", "soft")),
        ("make it 4", EllipticalChange("set", 4)),
        ("no, 4", EllipticalChange("set", 4)),
        ("no, 4 cartons", EllipticalChange("set", 4)),
        ("I meant 4", EllipticalChange("set", 4)),
        ("not 3, 5", EllipticalChange("set", 5)),
        ("add two more", EllipticalChange("add", 2)),
        ("take one off", EllipticalChange("reduce", 1)),
        ("the soft one", EllipticalChange("set", None, "carton", "soft")),
        ("make it one", EllipticalChange("set", 1)),
    ],
)
def test_a_change_that_names_no_product_is_read(text: str, change: EllipticalChange) -> None:
    assert read_elliptical_change(text) == change


@pytest.mark.parametrize(
    "text",
    [
        "利群改成3条",
        "中南海加两条",
        "加点利群",
        "I want some Liqun",
        "不对",
        "算了",
        "不要了",
        "去掉双喜",
        "how about the soft one?",
        "两三条",
        "看看订单",
    ],
)
def test_a_message_that_names_a_product_or_no_change_is_not_elliptical(text: str) -> None:
    assert read_elliptical_change(text) is None
