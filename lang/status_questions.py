"""Questions about what became of an earlier request: "我的投诉处理得怎么样了", "经理回复我了吗",
"any update on my complaint?".

Such a message reaches many intents (it often looks like a complaint, a contact request or a
policy question), so the support actions ask :func:`asks_for_status` first and answer with the
status of the retailer's requests. It takes both halves: a word asking for news (进展, 有结果,
回复了吗, "any update") and a word naming the request (投诉, 问题, 经理, complaint). A new
complaint ("今天送来的货少了一条芙蓉王") or a question about something else ("最近新品怎么样了")
has one half at most.
"""

from __future__ import annotations

import re

_STATUS_QUESTION = re.compile(
    r"(进展|进度|怎么样了|咋样了|如何了|处理了[吗没么]|处理得|处理好了[吗没么]|有结果|结果呢|回复了[吗没么]|"
    r"回复我了|回我了|还没回|有回音|replied|answered yet|status|progress|any update|update on|"
    r"been (handled|resolved|answered)|what happened (to|with))",
    re.IGNORECASE,
)
_REQUEST_WORDS = re.compile(
    r"投诉|反映|问题|留言|事情|那事|经理|complaint|question|request|report|message|issue|manager",
    re.IGNORECASE,
)


def asks_for_status(text: str) -> bool:
    """True if the message asks what became of an earlier complaint or question
    (我的投诉处理得怎么样了, any update on my complaint?)."""
    return bool(_STATUS_QUESTION.search(text or "") and _REQUEST_WORDS.search(text or ""))
