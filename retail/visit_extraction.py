"""Read a manager's free-text visit note (typed or voice-typed) into a structured record.

Notes arrive run-on, with fillers (那个, 然后, 嗯, 就是, "um"), little punctuation, numbers in
digits or Chinese (十二条), shop names shortened (张记) or replaced by the owner's name (张伟),
and product nicknames (硬芙). The note is cut into clauses at punctuation, spaces and fillers;
each clause is read for products with counts, stock-outs and what kind of remark it is
(complaint, advice, suspected fake, price problem, follow-up...). Pure functions over the
catalog and the manager's shops, so the extraction table runs without a dialogue.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from pypinyin import lazy_pinyin
from rapidfuzz import fuzz

from retail.catalog import normalise
from retail.clock import local
from retail.models import Product, Retailer
from retail.numerals import parse_number
from retail.visit_times import VisitTime, due_date, visit_time

DEFAULT_FOLLOW_UP_DAYS = 7
"""A follow-up without a stated date falls due a week after the note."""
_MIN_FUZZY_SHOP = 90
"""A fuzzy shop match must be this close: 彭记烟酒 is not 张记烟酒 (75), whatever the overlap."""

PRICE_TAGS = "price_tags"
DISPLAY = "display"
DEPOSIT = "deposit_reminder"
STOCK_OUT = "stock_out"
COUNTERFEIT = "counterfeit"
PRICE_PROBLEM = "price_problem"
COMPLAINT = "complaint"
ADVICE = "advice"
FOLLOW_UP = "follow_up"
STOCK = "stock"
TAGS = (PRICE_TAGS, DISPLAY, DEPOSIT, STOCK_OUT, COUNTERFEIT, PRICE_PROBLEM, COMPLAINT, ADVICE)
"""Every tag a note can carry, in the order summaries show them."""

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
_SHOP_SUFFIX = re.compile(
    r"(烟酒行|烟酒店|烟酒|便利店|便利|超市|副食店|副食|商店|百货|小卖部|商行|食杂店|店)$"
)
_EN_SHOP_WORDS = re.compile(
    r"\b(tobacco|liquor|convenience|store|shop|grocery|general|supermarket|roadside|trading|"
    r"international|and)\b|&",
    re.IGNORECASE,
)

_WORD = re.compile(r"[a-z']+")
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


@dataclass(frozen=True)
class StockCount:
    """A product counted on the shelf, in 条 (cartons)."""

    product: Product
    cartons: int


@dataclass(frozen=True)
class Remark:
    """One remark of a note: its kind (a tag), the clause that says it, a product if named."""

    kind: str
    text: str
    product: Product | None = None


@dataclass(frozen=True)
class PlannedFollowUp:
    """A promise made on the visit and the day it falls due."""

    due_on: date
    text: str
    date_stated: bool


@dataclass
class VisitExtract:
    """What a note says, before it is stored."""

    raw_text: str
    retailers: list[Retailer]
    visited: VisitTime
    price_tags: int | None = None
    tags: set[str] = field(default_factory=set)
    stock: list[StockCount] = field(default_factory=list)
    stock_outs: list[Product] = field(default_factory=list)
    remarks: list[Remark] = field(default_factory=list)
    follow_ups: list[PlannedFollowUp] = field(default_factory=list)

    @property
    def retailer(self) -> Retailer | None:
        """The shop, when exactly one matched."""
        return self.retailers[0] if len(self.retailers) == 1 else None

    @property
    def visited_on(self) -> date:
        """The visit day in Asia/Shanghai."""
        return local(self.visited.at).date()


@dataclass(frozen=True)
class _Name:
    text: str
    product: Product


def _strip_fillers(text: str) -> str:
    return _FILLERS.sub(" ", unicodedata.normalize("NFKC", text))


def clauses(text: str) -> list[str]:
    """The note cut into short clauses at punctuation, spaces between Chinese words, fillers
    and English joining words; empty pieces dropped."""
    pieces: list[str] = []
    for part in _CLAUSE_SPLIT.split(_strip_fillers(text)):
        for piece in _EN_SPLIT.split(part):
            piece = piece.strip(" -:")
            if piece:
                pieces.append(piece)
    return pieces


def _number(token: str) -> int | None:
    return parse_number(token.strip())


def product_names(products: Sequence[Product]) -> list[_Name]:
    """Every normalised name of every product, longest first; bare brands name the default."""
    names: list[_Name] = []
    for product in products:
        for name in (product.spec, product.name_en, *(a.alias for a in product.aliases)):
            names.append(_Name(normalise(name), product))
        if product.is_brand_default:
            names.append(_Name(normalise(product.brand), product))
            names.append(_Name(normalise(product.brand_en), product))
    usable = [n for n in names if len(n.text) >= 2 and not n.text.isdigit()]
    return sorted(usable, key=lambda n: len(n.text), reverse=True)


def _mentions(text: str, names: Sequence[_Name]) -> list[tuple[int, int, Product]]:
    """Products named in a normalised clause with their spans, longest name winning overlaps."""
    taken: list[tuple[int, int, Product]] = []
    for name in names:
        start = text.find(name.text)
        while start != -1:
            end = start + len(name.text)
            if all(end <= s or start >= e for s, e, _ in taken):
                taken.append((start, end, name.product))
            start = text.find(name.text, end)
    return sorted(taken, key=lambda hit: hit[0])


def _count_after(segment: str) -> int | None:
    match = _COUNT_AFTER.match(segment) or _BARE_COUNT_AFTER.match(segment)
    if match is None:
        return None
    return _number(match.group(1))


def _read_products(
    clause: str, names: Sequence[_Name], extract: VisitExtract, *, counts: bool
) -> list[Product]:
    """Stock counts and stock-outs of one clause; returns the products it names.

    ``counts`` is False for a clause about something other than stock (送货少了一条, 订了两条,
    疑似假烟 硬中华两条): its numbers are not shelf counts.
    """
    text = normalise(clause)
    mentions = _mentions(text, names)
    seen = {count.product.id for count in extract.stock}
    outs = {product.id for product in extract.stock_outs}
    for index, (start, end, product) in enumerate(mentions):
        next_start = mentions[index + 1][0] if index + 1 < len(mentions) else len(text)
        after = text[end:next_start]
        before = text[mentions[index - 1][1] if index else 0 : start]
        count = None
        if counts and not (_AMOUNT.match(after) and not re.match(rf"^\D*{_UNIT}", after)):
            count = _count_after(after)
        if counts and count is None:
            found = _COUNT_BEFORE.search(before)
            count = _number(found.group(1)) if found else None
        is_out = bool(_STOCK_OUT.search(after[:12])) or bool(_STOCK_OUT_BEFORE.search(before))
        if is_out and product.id not in outs:
            extract.stock_outs.append(product)
            outs.add(product.id)
        elif count is not None and product.id not in seen and not is_out:
            extract.stock.append(StockCount(product, count))
            seen.add(product.id)
    return [product for _, _, product in mentions]


def _carry_over(clause: str, product: Product | None, extract: VisitExtract) -> None:
    """A clause without a product continues the last one named (大红鹰卖不动 库存十二条;
    硬芙卖得快 周六就断了): its count or stock-out belongs to that product."""
    if product is None:
        return
    known = {c.product.id for c in extract.stock} | {p.id for p in extract.stock_outs}
    if product.id in known:
        return
    text = normalise(clause)
    if _STOCK_OUT.search(text):
        extract.stock_outs.append(product)
        return
    if _STOCK_WORDS.search(clause) and not _NOT_STOCK.search(clause):
        found = re.search(rf"({_NUM}){_UNIT}", text)
        count = _number(found.group(1)) if found else None
        if count is not None:
            extract.stock.append(StockCount(product, count))


def _price_tags(clause: str) -> int | None:
    found = _PRICE_TAG_COUNT.search(clause)
    if not found:
        return None
    token = next(group for group in found.groups() if group)
    return _number(token)


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


def _follow_up(clause: str, now: datetime, context: str) -> PlannedFollowUp | None:
    """A promise: a follow-up word (跟进, 回头, "follow up"), or the manager saying what they
    will do on a later day (我明天报给专卖, "I'll call logistics tomorrow")."""
    due = due_date(context, now)
    if not _FOLLOW_UP.search(clause) and not (
        due is not None and _FIRST_PERSON.search(clause) and not _DEPOSIT.search(clause)
    ):
        return None
    today = local(now).date()
    if due is None:
        return PlannedFollowUp(today + timedelta(days=DEFAULT_FOLLOW_UP_DAYS), context, False)
    return PlannedFollowUp(due, context, True)


def read_note(
    text: str,
    *,
    now: datetime,
    retailers: Sequence[Retailer],
    products: Sequence[Product],
) -> VisitExtract:
    """Everything ``text`` says about a visit; ``retailers`` are the shops the manager may
    record for, ``now`` the message time that relative days are resolved against."""
    extract = VisitExtract(
        raw_text=text,
        retailers=match_retailers(text, retailers),
        visited=visit_time(text, now),
    )
    names = product_names(products)
    pieces = clauses(text)
    last_product: Product | None = None
    previous: list[str] = []
    for index, clause in enumerate(pieces):
        kinds = _remark_kinds(clause)
        counts = not _NOT_STOCK.search(clause) and not (
            COUNTERFEIT in previous and not _STOCK_WORDS.search(clause)
        )
        named = _read_products(clause, names, extract, counts=counts)
        if named:
            last_product = named[-1]
        else:
            _carry_over(clause, last_product, extract)
        tags = _price_tags(clause)
        if tags is not None and extract.price_tags is None:
            extract.price_tags = tags
        product = named[0] if named else None
        for kind in kinds:
            extract.tags.add(kind)
            if kind not in (PRICE_TAGS, DISPLAY):
                extract.remarks.append(Remark(kind, clause, product))
        # A promise often rides on the previous clause (老板想申请加量 回头帮他问).
        context = clause if index == 0 or len(clause) > 10 else f"{pieces[index - 1]} {clause}"
        follow_up = _follow_up(clause, now, context)
        if follow_up is not None:
            extract.follow_ups.append(follow_up)
            extract.tags.add(FOLLOW_UP)
        previous = kinds
    if extract.stock_outs:
        extract.tags.add(STOCK_OUT)
    return extract


def _retailer_names(retailer: Retailer) -> list[str]:
    """Ways a manager names a shop: full name, name without 烟酒/便利店, owner, English."""
    names = [retailer.name, retailer.owner, retailer.name_en]
    short = _SHOP_SUFFIX.sub("", retailer.name)
    if len(short) >= 2:
        names.append(short)
    if retailer.owner:
        names.append(f"{retailer.owner[0]}老板")
    if retailer.name_en:
        first = _EN_SHOP_WORDS.sub(" ", retailer.name_en).split()
        if first:
            names.append(" ".join(first))
    return [normalise(name) for name in names if name and len(normalise(name)) >= 2]


def _pinyin(text: str) -> str:
    return "".join(lazy_pinyin(text))


def match_retailers(text: str, retailers: Sequence[Retailer]) -> list[Retailer]:
    """The shops ``text`` names, best first; several when it is ambiguous, none when none.

    Exact names (longest wins) first, then the same on toneless pinyin (a voice transcript's
    homophones: 张己烟酒), then most words of a long English name (a transcript that lost one),
    then a fuzzy match of the full shop name.
    """
    query = normalise(text)
    if not query:
        return []
    best: dict[int, int] = {}
    for retailer in retailers:
        for name in _retailer_names(retailer):
            if name in query:
                best[retailer.id] = max(best.get(retailer.id, 0), len(name))
    if not best:
        spoken = _pinyin(query)
        for retailer in retailers:
            for name in _retailer_names(retailer):
                if re.search(r"[^\x00-\x7f]", name) and _pinyin(name) in spoken:
                    best[retailer.id] = max(best.get(retailer.id, 0), len(name))
    if not best:
        spoken_words = set(_WORD.findall(text.lower()))
        for retailer in retailers:
            words = set(_WORD.findall((retailer.name_en or "").lower()))
            shared = words & spoken_words
            # Speech recognition loses a word or two of a long English name (Meixi -> "really").
            if len(shared) >= 3 and len(shared) * 5 >= len(words) * 3:
                best[retailer.id] = sum(len(word) for word in shared)
    if not best:
        for retailer in retailers:
            score = fuzz.partial_ratio(normalise(retailer.name), query)
            if score >= _MIN_FUZZY_SHOP and len(retailer.name) >= 5:
                best[retailer.id] = int(score)
    if not best:
        return []
    top = max(best.values())
    by_id = {retailer.id: retailer for retailer in retailers}
    return [by_id[rid] for rid, score in sorted(best.items(), key=lambda i: -i[1]) if score == top]
