"""Read a manager's free-text visit note (typed or voice-typed) into typed findings.

Notes arrive run-on, with fillers (那个, 然后, 嗯, 就是, "um"), little punctuation, numbers in
digits or Chinese (十二条) and product nicknames (硬芙). The note is cut into clauses at
punctuation, spaces and fillers; each clause is read for products with counts, stock-outs and
what kind of remark it is (complaint, advice, suspected fake, price problem, follow-up...).

Products are found by a callable the caller passes (the one product reader, lang.products,
over the caller's catalog), so this module names products by whatever key that callable
returns and never sees a database. Times come from lang.times; numbers from lang.numerals.
What a reading means for the record (which shop, the visit time when none is said, when an
undated promise falls due) is the caller's business.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from lang.numerals import parse_number
from lang.products import normalise
from lang.times import TimeValue, find_times, to_shanghai

FindProducts = Callable[[str], Sequence[tuple[int, int, str]]]
"""Products named in a text: (start, end, product key) with ``text[start:end]`` the mention."""

KINDS = (
    "price_tags",
    "display",
    "deposit_reminder",
    "stock_out",
    "counterfeit",
    "price_problem",
    "complaint",
    "advice",
    "follow_up",
)
"""The kinds of finding a reading tags a note with (the record keeps the same words)."""
(
    PRICE_TAGS,
    DISPLAY,
    DEPOSIT,
    STOCK_OUT,
    COUNTERFEIT,
    PRICE_PROBLEM,
    COMPLAINT,
    ADVICE,
    FOLLOW_UP,
) = KINDS

_NUM = (
    r"[0-9零〇一二两俩三四五六七八九十百]+|one|two|three|four|five|six|seven|eight|nine|ten|"
    r"eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|"
    r"thirty|forty|fifty"
)
_FILLERS = re.compile(
    r"然后|那个|这个|嗯+|呃+|啊|就是说|就是|对了|another thing|\b(?:um+|uh+|er+|erm)\b",
    re.IGNORECASE,
)
_CLAUSE_SPLIT = re.compile(
    r"[,，。;；!！?？\n、]+|\s+-\s+|\s{1,}(?=[^\x00-\x7f])|(?<=[^\x00-\x7f])\s+"
)
_EN_SPLIT = re.compile(r"\b(?:and then|then|also|but)\b", re.IGNORECASE)
_UNIT = r"(?:条|cartons?|ctns?)"
_COUNT_AFTER = re.compile(
    rf"^(?:的)?(?:库存|现存|存货|还有|还剩|剩下|剩了|剩|有|是|只有|就|stock|left|in stock|"
    rf"have|has|at|was|is|:)*?(?:只?有|剩|还有|库存|约|大概|大约)?({_NUM})\s*{_UNIT}",
    re.IGNORECASE,
)
_BARE_COUNT_AFTER = re.compile(
    rf"^(?:的)?(?:库存|现存|还有|还剩|剩|stock(?:\s+is)?|left)?\s*({_NUM})(?![0-9零〇一二两俩三四五六七八九十百])"
    rf"(?!\s*(?:包|块|元|yuan|packs?|张|天|号|点|月|日|家|次|个|%|版))",
    re.IGNORECASE,
)
_COUNT_BEFORE = re.compile(rf"({_NUM})\s*{_UNIT}(?:of)?$", re.IGNORECASE)
_UNIT_FIRST = re.compile(rf"^\D*{_UNIT}")
_COUNT = re.compile(rf"({_NUM}){_UNIT}")
# Stock-outs are read on the normalised clause (no spaces): "out of stock" is outofstock.
_STOCK_OUT = re.compile(
    r"断货|断了|没货|没了|缺货|卖完|卖光|没有货|一条都没|整条的没|soldout|outofstock|ranout|"
    r"noneleft|nostock|allgone"
)
_STOCK_OUT_BEFORE = re.compile(r"(?:^no|outof|没有)$")
_STOCK_WORDS = re.compile(r"库存|现存|存货|还有|还剩|剩|盘点|stock|left", re.IGNORECASE)
_NOT_STOCK = re.compile(
    r"少了|少送|订了|要了|订|发霉|霉变|假|调包|short|ordered|fake|counterfeit|moldy|mouldy",
    re.IGNORECASE,
)
_PRICE_TAG_WORDS = re.compile(r"标价签|价签|价格签|price\s*tags?|price\s*labels?|labels?", re.I)
_PRICE_TAG_COUNT = re.compile(
    rf"({_NUM})\s*张(?:标价签|价签|价格签)|(?:标价签|价签|价格签)\S{{0,4}}?({_NUM})\s*张|"
    rf"({_NUM}|\d+)\s*(?:new\s+)?(?:price\s*)?(?:tags|labels)|"
    rf"(?:贴|补|换|挂|更新)了?({_NUM})张|(?:replaced|put up|added|fixed|changed)\s+({_NUM})\b",
    re.IGNORECASE,
)
_PRICE_TAG_SEEN = re.compile(
    r"(?:标价签|价签|价格签)(?:齐全|都在|没问题|正常|ok)|tags? (?:all )?(?:fine|ok|good)",
    re.IGNORECASE,
)
_DISPLAY = re.compile(r"陈列|摆放|柜台|货架|陈列柜|display|shelf|shelves", re.IGNORECASE)
_DEPOSIT = re.compile(
    r"存款|存钱|存够|(?<![库现])存[0-9零一二两三四五六七八九十百千万]+|打款|充值|充钱|deposit|"
    r"top up|top-up",
    re.IGNORECASE,
)
_DEPOSIT_REMIND = re.compile(r"提醒|让他|让她|叫他|叫她|告诉|remind|told|asked", re.IGNORECASE)
_COUNTERFEIT = re.compile(
    r"假烟|假的|疑似假|调包|仿冒|高仿|fakes?|counterfeits?|swap trick|not genuine", re.IGNORECASE
)
_PRICE_PROBLEM = re.compile(
    r"高于标价|低于标价|高价|低价卖|比标价|对不上|不按标价|乱价|加价|卖[0-9零一二两三四五六七八九十]+(?:块|元)?"
    r"一包|above the (?:marked|tagged|labelled) price|below the (?:marked|tagged|labelled) price|"
    r"over the (?:marked )?price|under the (?:marked )?price|price (?:doesn'?t|does not) match|"
    r"selling at|sold at",
    re.IGNORECASE,
)
_COMPLAINT = re.compile(
    r"投诉|反映|反应|抱怨|不满|有意见|意见很大|不高兴|complain(?:ed|s|t)?|unhappy|not happy|"
    r"upset",
    re.IGNORECASE,
)
_ADVICE = re.compile(
    r"建议|推荐|推了|推介|介绍了|让他|让她|叫他|叫她|跟他说|跟她说|跟老板说|告诉他|告诉她|指导|"
    r"离地离墙|勤订少订|advised|suggested|recommended|pitched|pushed|told (?:him|her|them)|"
    r"walked them through",
    re.IGNORECASE,
)
_FOLLOW_UP = re.compile(
    r"跟进|回头|给答复|给回复|答复|再去|再来|查一下|要查|帮他问|帮她问|帮他申请|帮她申请|去问|问一下|"
    r"问问|反馈|落实|处理一下|下次(?:去|来|再)|follow(?:\s|-)?up|"
    r"will (?:ask|check|reply|talk|call|come|get back|look|follow)|revisit|get back to|check on",
    re.IGNORECASE,
)
_FIRST_PERSON = re.compile(r"我|咱|i'll|i will|we'll|we will|\bi\b", re.IGNORECASE)
_AMOUNT = re.compile(
    r"(?:卖|标的|标|存|存够|deposit|at)\s*[0-9零一二两三四五六七八九十百千万]+", re.I
)
_AMEND_COUNT = re.compile(
    r"(?:库存|还有|还剩|剩|是|应该是|改成|改为|stock|was|is|should be|to)\s*"
    r"([0-9零〇一二两三四五六七八九十百]+|[a-z]+)\s*(?:条|cartons?)",
    re.IGNORECASE,
)
_AMEND_TAGS = re.compile(
    r"(?:价签|标价签|price tags?)\D{0,6}?([0-9零〇一二两三四五六七八九十]+)\s*张?|"
    r"([0-9零〇一二两三四五六七八九十]+)\s*张(?:价签|标价签)",
    re.IGNORECASE,
)
_PERIOD_GRAINS = frozenset({"week", "month"})


@dataclass(frozen=True)
class StockCount:
    """A product counted on the shelf, in 条 (cartons); ``product`` is the finder's key."""

    product: str
    cartons: int


@dataclass(frozen=True)
class Remark:
    """One remark of a note: its kind, the clause that says it, the product it names first."""

    kind: str
    text: str
    product: str | None = None


@dataclass(frozen=True)
class Promise:
    """Something the manager promised, and the day it falls due if the note says one."""

    text: str
    due: date | None


@dataclass(frozen=True)
class NoteReading:
    """What a note says.

    ``visited`` is the first time the note gives that is not a deadline, a plan or a whole
    week or month (None: the note does not say when). ``price_tags`` is the number of tags put
    up, when a number is said. ``tags`` are the kinds of finding the note carries.
    """

    visited: TimeValue | None
    price_tags: int | None
    tags: frozenset[str]
    stock: tuple[StockCount, ...]
    stock_outs: tuple[str, ...]
    remarks: tuple[Remark, ...]
    follow_ups: tuple[Promise, ...]


@dataclass(frozen=True)
class Correction:
    """What a correction message ("刚才那条记错了,库存是十二条") says besides a whole note:
    a count without a product, and a number of price tags."""

    bare_count: int | None
    price_tags: int | None


@dataclass
class _Draft:
    """The reading while it is being built, clause by clause."""

    price_tags: int | None = None
    tags: set[str] = field(default_factory=set)
    stock: list[StockCount] = field(default_factory=list)
    stock_outs: list[str] = field(default_factory=list)


def _number(token: str) -> int | None:
    value = parse_number(token.strip())
    return int(value) if value is not None and value == int(value) else None


def clause_spans(text: str) -> list[tuple[int, int]]:
    """Where the clauses of ``text`` are: cut at punctuation, spaces next to Chinese, fillers
    and English joining words; fillers and empty pieces dropped."""
    blanked = _FILLERS.sub(lambda found: " " * len(found.group()), text)
    spans: list[tuple[int, int]] = []
    for start, end in _pieces(blanked, 0, len(blanked), _CLAUSE_SPLIT):
        for inner_start, inner_end in _pieces(blanked, start, end, _EN_SPLIT):
            piece = blanked[inner_start:inner_end]
            stripped = piece.strip(" -:")
            if stripped:
                offset = inner_start + piece.index(stripped)
                spans.append((offset, offset + len(stripped)))
    return spans


def _pieces(text: str, start: int, end: int, separator: re.Pattern[str]) -> list[tuple[int, int]]:
    """The spans of ``text[start:end]`` between matches of ``separator``."""
    pieces, position = [], start
    for found in separator.finditer(text, start, end):
        pieces.append((position, found.start()))
        position = found.end()
    pieces.append((position, end))
    return pieces


def clauses(text: str) -> list[str]:
    """The note cut into short clauses (see :func:`clause_spans`)."""
    return [text[start:end] for start, end in clause_spans(text)]


def visit_time(
    times: Sequence[tuple[int, TimeValue]], now: datetime, *, findings_from: int
) -> TimeValue | None:
    """The first of a note's ``times`` ((offset, value) read as the past) that can be the
    visit's: said before the findings start at offset ``findings_from`` (硬芙卖得快 周六就断了
    tells when the goods ran out), not a deadline, not after the message day (a plan), not a
    week, month or stretch of days (上周送货少了 says when something else happened)."""
    today = to_shanghai(now).date()
    for offset, value in sorted(times, key=lambda item: item[0]):
        if offset >= findings_from:
            break
        if value.relation in ("before", "until") or value.recurrence:
            continue
        if value.grain in _PERIOD_GRAINS or value.start.date() > today:
            continue
        if value.grain == "day" and value.end - value.start > timedelta(days=1):
            continue  # 最近两周: a stretch of days, not the visit's day
        return value
    return None


def _times_in(text: str, now: datetime) -> list[tuple[int, TimeValue]]:
    """Every time ``text`` gives, read as the past, with its offset."""
    return [(mention.start, mention.value) for mention in find_times(text, now=now, prefer="past")]


def _due(context: str, now: datetime) -> date | None:
    """The day a promise falls due: the first deadline or later day in ``context``."""
    today = to_shanghai(now).date()
    for mention in find_times(context, now=now, prefer="future"):
        value = mention.value
        if value.relation == "before" or value.start.date() > today:
            return value.start.date()
    return None


def _count_after(segment: str) -> int | None:
    match = _COUNT_AFTER.match(segment) or _BARE_COUNT_AFTER.match(segment)
    return _number(match.group(1)) if match else None


def _read_products(
    clause: str, find_products: FindProducts, draft: _Draft, *, counts: bool
) -> list[tuple[int, int, str]]:
    """Stock counts and stock-outs of one clause; returns the products it names, in order.

    ``counts`` is False for a clause about something other than stock (送货少了一条, 订了两条,
    疑似假烟 硬中华两条): its numbers are not shelf counts.
    """
    mentions = sorted(find_products(clause), key=lambda mention: mention[0])
    seen = {count.product for count in draft.stock}
    for index, (start, end, product) in enumerate(mentions):
        next_start = mentions[index + 1][0] if index + 1 < len(mentions) else len(clause)
        after = normalise(clause[end:next_start])
        before = normalise(clause[mentions[index - 1][1] if index else 0 : start])
        count = None
        if counts and not (_AMOUNT.match(after) and not _UNIT_FIRST.match(after)):
            count = _count_after(after)
        if counts and count is None:
            found = _COUNT_BEFORE.search(before)
            count = _number(found.group(1)) if found else None
        is_out = bool(_STOCK_OUT.search(after[:12])) or bool(_STOCK_OUT_BEFORE.search(before))
        if is_out and product not in draft.stock_outs:
            draft.stock_outs.append(product)
        elif count is not None and product not in seen and not is_out:
            draft.stock.append(StockCount(product, count))
            seen.add(product)
    return mentions


def _carry_over(clause: str, product: str | None, draft: _Draft) -> None:
    """A clause without a product continues the last one named (大红鹰卖不动 库存十二条;
    硬芙卖得快 周六就断了): its count or stock-out belongs to that product."""
    if product is None:
        return
    if product in {c.product for c in draft.stock} or product in draft.stock_outs:
        return
    text = normalise(clause)
    if _STOCK_OUT.search(text):
        draft.stock_outs.append(product)
        return
    if _STOCK_WORDS.search(clause) and not _NOT_STOCK.search(clause):
        found = _COUNT.search(text)
        count = _number(found.group(1)) if found else None
        if count is not None:
            draft.stock.append(StockCount(product, count))


def _price_tags(clause: str) -> int | None:
    found = _PRICE_TAG_COUNT.search(clause)
    if not found:
        return None
    return _number(next(group for group in found.groups() if group))


def _remark_kinds(clause: str) -> list[str]:
    """Which kinds of remark a clause is (one clause may be several)."""
    kinds: list[str] = []
    if (
        _PRICE_TAG_WORDS.search(clause)
        and not _PRICE_TAG_SEEN.search(clause)
        and not _PRICE_PROBLEM.search(clause)
    ):
        kinds.append(PRICE_TAGS)
    if _DISPLAY.search(clause):
        kinds.append(DISPLAY)
    if _DEPOSIT.search(clause) and (_DEPOSIT_REMIND.search(clause) or len(clause) < 12):
        kinds.append(DEPOSIT)
    if _COUNTERFEIT.search(clause):
        kinds.append(COUNTERFEIT)
    if _PRICE_PROBLEM.search(clause):
        kinds.append(PRICE_PROBLEM)
    if _COMPLAINT.search(clause):
        kinds.append(COMPLAINT)
    if _ADVICE.search(clause) and DEPOSIT not in kinds:
        kinds.append(ADVICE)
    return kinds


def _promise(clause: str, context: str, now: datetime) -> Promise | None:
    """A promise: a follow-up word (跟进, 回头, "follow up"), or the manager saying what they
    will do on a later day (我明天报给专卖, "I'll call logistics tomorrow")."""
    due = _due(context, now)
    if _FOLLOW_UP.search(clause) or (
        due is not None and _FIRST_PERSON.search(clause) and not _DEPOSIT.search(clause)
    ):
        return Promise(context, due)
    return None


def read_note(
    text: str,
    *,
    now: datetime,
    find_products: FindProducts,
    times: Sequence[tuple[int, TimeValue]] | None = None,
) -> NoteReading:
    """Everything ``text`` says about a visit. ``now`` is the message time that relative days
    are read against; ``find_products`` names the products of a clause; ``times`` are the
    times the NLU already read in ``text`` as the past, with their offsets (None: lang.times
    reads them here).
    Due dates are always read here: a deadline looks ahead, the NLU read the note as the past.
    """
    draft = _Draft()
    remarks: list[Remark] = []
    promises: list[Promise] = []
    spans = clause_spans(text)
    pieces = [text[start:end] for start, end in spans]
    findings_from = len(text)
    last_product: str | None = None
    previous: list[str] = []
    for index, clause in enumerate(pieces):
        kinds = _remark_kinds(clause)
        counts = not _NOT_STOCK.search(clause) and not (
            COUNTERFEIT in previous and not _STOCK_WORDS.search(clause)
        )
        mentions = _read_products(clause, find_products, draft, counts=counts)
        named = [product for _, _, product in mentions]
        if named:
            last_product = named[-1]
            findings_from = min(findings_from, spans[index][0] + mentions[0][0])
        else:
            _carry_over(clause, last_product, draft)
        tags = _price_tags(clause)
        if tags is not None and draft.price_tags is None:
            draft.price_tags = tags
        for kind in kinds:
            draft.tags.add(kind)
            if kind not in (PRICE_TAGS, DISPLAY):
                remarks.append(Remark(kind, clause, named[0] if named else None))
        # A promise often rides on the previous clause (老板想申请加量 回头帮他问).
        context = clause if index == 0 or len(clause) > 10 else f"{pieces[index - 1]} {clause}"
        promise = _promise(clause, context, now)
        if promise is not None:
            promises.append(promise)
            draft.tags.add(FOLLOW_UP)
        previous = kinds
    if draft.stock_outs:
        draft.tags.add(STOCK_OUT)
    return NoteReading(
        visited=visit_time(
            times if times is not None else _times_in(text, now),
            now,
            findings_from=findings_from,
        ),
        price_tags=draft.price_tags,
        tags=frozenset(draft.tags),
        stock=tuple(draft.stock),
        stock_outs=tuple(draft.stock_outs),
        remarks=tuple(remarks),
        follow_ups=tuple(promises),
    )


def read_correction(text: str) -> Correction:
    """The parts of a correction a whole-note reading misses: 库存是十二条 (a count that names
    no product: it fits a note that counted one) and 价签补了两张 (the number of tags)."""
    count = _AMEND_COUNT.search(text)
    tags = _AMEND_TAGS.search(text)
    return Correction(
        bare_count=_number(count.group(1)) if count else None,
        price_tags=_number(next(g for g in tags.groups() if g)) if tags else None,
    )
