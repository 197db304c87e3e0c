"""Questions about what became of an earlier request (lang/status_questions.py)."""

from __future__ import annotations

import pytest

from lang.status_questions import asks_for_status


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的投诉处理得怎么样了", True),
        ("上次反映的问题有结果了吗", True),
        ("any update on my complaint?", True),
        ("经理回复我了吗", True),
        ("has my manager replied", True),
        ("让经理明天来店里一趟", False),
        ("最近新品怎么样了", False),
        ("今天送来的货少了一条芙蓉王", False),
        ("the delivery guy was rude", False),
    ],
)
def test_status_questions_are_told_from_new_complaints(text: str, expected: bool) -> None:
    assert asks_for_status(text) is expected
