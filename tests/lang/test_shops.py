"""Which shops a message names (lang/shops.py), on manager M001's demo shops."""

from __future__ import annotations

import pytest

from lang.shops import ShopNames, match_shops, shop_names
from tests.lang.visit_data import m001_shops


@pytest.fixture(scope="module")
def shops() -> list[ShopNames]:
    """Manager M001's shops."""
    return m001_shops()


def test_shops_match_by_short_name_owner_english_and_homophone(shops: list[ShopNames]) -> None:
    assert match_shops("去了张记", shops) == ["R001"]
    assert match_shops("李秀英说想了解新品", shops) == ["R002"]
    assert match_shops("visited Chen's today", shops) == ["R004"]
    assert match_shops("今天去了张己烟酒", shops) == ["R001"]
    assert match_shops("张老板说", shops) == ["R001"]


def test_a_shop_outside_the_given_shops_is_not_matched(shops: list[ShopNames]) -> None:
    assert match_shops("去了老刘副食店", shops) == []
    assert match_shops("今天去了老刘副食店 白沙十条", shops) == []


def test_a_transcript_that_lost_a_word_of_a_long_english_name_still_finds_the_shop(
    shops: list[ShopNames],
) -> None:
    # What PocketSphinx made of "visited the Meixi Lake International Convenience Store".
    heard = "really good but like the lake international convenience store this morning"
    assert match_shops(heard, shops) == ["R008"]
    assert match_shops("went to a convenience store", shops) == []


def test_two_shops_with_the_same_short_name_are_both_returned() -> None:
    twins = [ShopNames(1, "张记烟酒", "张伟"), ShopNames(2, "张记便利店", "张强")]
    assert sorted(match_shops("去了张记 白沙十条", twins)) == [1, 2]
    assert match_shops("去了张记烟酒", twins) == [1]


def test_a_near_miss_of_a_long_name_matches_but_another_shop_does_not() -> None:
    shops = [ShopNames(1, "梅溪湖国际便利店"), ShopNames(2, "张记烟酒")]
    assert match_shops("梅溪湖国际便利", shops) == [1]
    assert match_shops("彭记烟酒", shops) == []


def test_the_names_a_shop_goes_by() -> None:
    names = shop_names(ShopNames(1, "陈氏百货", "陈志强", "Chen's General Store"))
    assert names == ["陈氏百货", "陈志强", "chensgeneralstore", "陈氏", "陈老板", "chens"]
