"""Reading order-line changes out of a retailer's own words.

Retailers type changes the way they speak: "白沙改成3条,芙蓉王再加2条", "硬芙加两条", "去掉双喜",
"宏声来十五条 红梅来十条", "remove Shuangxi", "add 2 cartons of Baisha and one of Liqun".
:func:`read_order_changes` finds each product named (through the caller's product finder, which
is lang.products over the catalog, and Rasa's product entities when it found some), cuts the
message into one piece per product, and reads from each piece what to do (add, reduce, set,
remove) and how much, in the unit the user said (条, 包, 件 or carton, pack, case). Numbers are
read by lang.numerals: an estimate such as 两三条 is no quantity (the planner then asks).

The result is what the user *asked*, not what is allowed: converting units, quotas, stock and
the order window are the planner's business (retail.orders.plan_order_change), which takes
typed requests the action builds from these changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from lang.follow_ups import Variant, read_variant
from lang.numerals import CN_NUMERAL_CHARS, EN_NUMBER_WORDS, parse_number

Action = Literal["add", "reduce", "set", "remove"]
Unit = Literal["carton", "pack", "case"]
FoundProduct = tuple[Hashable, int, int]
"""A product the caller's finder saw in a text: its key (e.g. a product id), start and end."""
ProductFinder = Callable[[str], Sequence[FoundProduct]]
Suggester = Callable[[str], Sequence[str]]


@dataclass(frozen=True)
class LineChange:
    """One change the user asked for on one product line.

    ``quantity`` is in ``unit`` as typed (None when the user gave none, e.g. "加点白沙");
    ``product`` is the finder's key, None when the words named nothing it knows, and then
    ``suggestions`` may hold near misses. ``phrase`` is the piece of the message it came from.
    """

    product: Hashable | None
    action: Action
    quantity: int | None = None
    unit: Unit = "carton"
    phrase: str = ""
    suggestions: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Mention:
    product: Hashable
    start: int
    end: int


@dataclass(frozen=True)
class _Quantity:
    value: int
    unit: Unit | None
    start: int


_UNITS: dict[str, Unit] = {
    "条": "carton",
    "包": "pack",
    "盒": "pack",
    "件": "case",
    "箱": "case",
    "carton": "carton",
    "cartons": "carton",
    "ctn": "carton",
    "ctns": "carton",
    "pack": "pack",
    "packs": "pack",
    "packet": "pack",
    "packets": "pack",
    "case": "case",
    "cases": "case",
}
_EN_NUMBER = "|".join(sorted(EN_NUMBER_WORDS, key=len, reverse=True))
_QUANTITY = re.compile(
    rf"(?P<sign>-\s*)?(?P<num>\d+|[{CN_NUMERAL_CHARS}]+|\b(?:{_EN_NUMBER}|an?)\b)"
    r"(?P<unit>\s*(?:条|包|盒|件|箱)|\s*(?:of\s+)?\b(?:cartons?|ctns?|packs?|packets?|cases?)\b)?",
    re.IGNORECASE,
)
_HALF = re.compile(r"半\s*(?P<unit>件|箱|条)|\bhalf an? (?P<en>case|carton)\b", re.IGNORECASE)
# A Chinese numeral that is part of a word, not a quantity: 一下, 一样, 周二, 十几条, 两三条.
_NOT_A_QUANTITY_AFTER = tuple("下样点起遍次单份模直共定般些会几多周天")
_NOT_A_QUANTITY_BEFORE = ("周", "星期", "礼拜", "第", "统")

# "改成" and "to" name the target quantity; they win over add/reduce words (加到 is set, not add).
_TARGET = re.compile(
    r"改成|改为|改到|改作|换成|调成|调为|调到|调整为|调整到|变成|加到|增加到|增到|减到|减少到|减为|"
    r"降到|降为|升到|提到|就够|就行|就好|够了|改|\bto\b",
    re.IGNORECASE,
)
# Phrases whose 多/少 are not "more"/"less": 多少钱, 那么多, 太多.
_NEUTRAL = re.compile(r"多少|那么多|这么多|太多|太少|好多|不少")
_REDUCE = re.compile(
    r"减|少|扣掉|\b(?:less|fewer|reduce|decrease|minus|cut|lower|subtract)\b", re.IGNORECASE
)
_ADD = re.compile(
    r"加|再|多|添|补|追加|\b(?:add|more|plus|increase|bump|extra|another)\b|\+", re.IGNORECASE
)
_REMOVE = re.compile(
    r"不要了|不要啦|不要(?!那么|这么|太|多)|删|去掉|去了|取消|清零|清空|不订|不进|拿掉|划掉|撤掉|撤了|"
    r"别要|免了|换掉|\b(?:remove|delete|drop|scrap|cancel|none|swap|replace)\b|"
    r"\btake\b.*\boff\b|get rid of|"
    r"\bno more\b|^\s*no\b|don'?t want",
    re.IGNORECASE,
)
_CLAUSE_BREAK = re.compile(r"[,;。;、!?\n]+|\s+(?P<conj>and|then|also|plus|&)\s+", re.IGNORECASE)
_CJK = re.compile(r"[\u3400-\u9fff]")
MAX_TEXT = 500
"""Characters of a message read for changes: a real order message is far shorter, and every
clause costs a catalog lookup, so a pasted essay must not tie up the action server."""
MAX_CLAUSES = 20
MAX_LOOKUPS = 24
MAX_SUGGESTED = 3
_WHITESPACE = re.compile(r"\s+")


def fold_width(text: str) -> str:
    """Full-width letters, digits and punctuation to half-width, keeping every position."""
    folded = []
    for char in text:
        code = ord(char)
        if 0xFF01 <= code <= 0xFF5E:
            char = chr(code - 0xFEE0)
        elif char == "\u3000":
            char = " "
        folded.append(char)
    return "".join(folded)


def _halved(value: int, unit: Unit | None) -> tuple[int, Unit]:
    """ "N and a half" of a unit, in the unit that keeps it whole: 一件半 is 75 条, and 一条半 is
    15 包 (which the planner then refuses, orders being in whole 条)."""
    if unit == "case":
        return value * 50 + 25, "carton"
    return value * 10 + 5, "pack"


def find_quantities(text: str) -> list[_Quantity]:
    """Every quantity in ``text`` (numbers with or without a unit), left to right.

    A minus sign makes the value negative so the planner can refuse it rather than silently
    reading "-5" as 5. Halves are kept exact: 半件 is 25 条, 一条半 is 15 包.
    """
    found: list[_Quantity] = []
    taken: list[tuple[int, int]] = []
    for match in _HALF.finditer(text):
        half_of = _UNITS[(match["unit"] or match["en"]).lower()]
        found.append(_Quantity(*_halved(0, half_of), match.start()))
        taken.append((match.start(), match.end()))
    for match in _QUANTITY.finditer(text):
        if any(s <= match.start() < e for s, e in taken):
            continue
        number, unit_text = match["num"], (match["unit"] or "").strip().lower()
        unit_text = unit_text.removeprefix("of").strip()
        unit = _UNITS.get(unit_text) if unit_text else None
        if number.lower() in {"a", "an"} and unit is None:
            continue
        if number[0] in CN_NUMERAL_CHARS and unit is None:
            after = text[match.end() : match.end() + 1]
            before = text[: match.start()]
            if number == "一" or after.startswith(_NOT_A_QUANTITY_AFTER):
                continue
            if before.endswith(_NOT_A_QUANTITY_BEFORE):
                continue
        value = 1 if number.lower() in {"a", "an"} else parse_number(number)
        if not isinstance(value, int):
            continue  # an estimate (两三条) or no number at all
        end = match.end()
        if unit in ("carton", "case") and text[end : end + 1] == "半":
            value, unit = _halved(value, unit)
            end += 1
        found.append(_Quantity(-value if match["sign"] else value, unit, match.start()))
        taken.append((match.start(), end))
    return sorted(found, key=lambda quantity: quantity.start)


def _spans(text: str) -> list[tuple[int, int, bool]]:
    """Clauses as (start, end, joined_by_conjunction): split at punctuation and and/then."""
    spans: list[tuple[int, int, bool]] = []
    start, conj = 0, False
    for match in _CLAUSE_BREAK.finditer(text):
        spans.append((start, match.start(), conj))
        start, conj = match.end(), bool(match["conj"])
    spans.append((start, len(text), conj))
    return [(s, e, c) for s, e, c in spans if text[s:e].strip()]


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Within a Chinese clause, spaces separate changes too ("宏声来十五条 红梅来十条")."""
    if not _CJK.search(text[start:end]):
        return [(start, end)]
    pieces: list[tuple[int, int]] = []
    cursor = start
    for match in _WHITESPACE.finditer(text, start, end):
        if match.start() > cursor:
            pieces.append((cursor, match.start()))
        cursor = match.end()
    if cursor < end:
        pieces.append((cursor, end))
    return pieces


class _Resolver:
    """The caller's product finder, remembered per text for the length of one read, within a
    budget of lookups (junk text must not cost seconds; nothing past it is a product)."""

    def __init__(self, find: ProductFinder, suggest: Suggester) -> None:
        self.find = find
        self.suggest = suggest
        self.seen: dict[str, list[_Mention]] = {}
        self.unknown = 0

    def __call__(self, text: str) -> list[_Mention]:
        if text not in self.seen:
            within_budget = len(self.seen) < MAX_LOOKUPS
            found = self.find(text) if within_budget else []
            self.seen[text] = sorted(
                (_Mention(key, start, end) for key, start, end in found), key=lambda m: m.start
            )
        return self.seen[text]

    def suggestions(self, text: str) -> tuple[str, ...]:
        """Near misses for the first few unknown products only."""
        self.unknown += 1
        if not text or self.unknown > MAX_SUGGESTED:
            return ()
        return tuple(self.suggest(text))


def _entity_mentions(
    resolve: _Resolver, text: str, entities: Sequence[Mapping[str, Any]]
) -> list[_Mention]:
    """Product entities Rasa found, where their span lies inside the text and resolves to
    exactly one catalog product."""
    mentions: list[_Mention] = []
    for entity in entities:
        if entity.get("entity") != "product":
            continue
        start, end = entity.get("start"), entity.get("end")
        if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end:
            continue
        if end > len(text):
            continue
        matches = resolve(str(entity.get("value") or text[start:end]))
        if len(matches) == 1:
            mentions.append(_Mention(matches[0].product, start, end))
    return mentions


def _merge_mentions(found: list[_Mention], hints: list[_Mention]) -> list[_Mention]:
    """Mentions found in the text, plus entity mentions that overlap none of them."""
    merged = list(found)
    for hint in hints:
        if all(hint.end <= m.start or hint.start >= m.end for m in merged):
            merged.append(hint)
    return sorted(merged, key=lambda mention: mention.start)


def _has_signal(text: str) -> bool:
    """Does this text carry an instruction (a quantity or an action word)?"""
    cleaned = _NEUTRAL.sub(" ", text)
    return bool(
        find_quantities(cleaned)
        or _TARGET.search(cleaned)
        or _ADD.search(cleaned)
        or _REDUCE.search(cleaned)
        or _REMOVE.search(cleaned)
    )


def _segments(text: str, mentions: list[_Mention]) -> list[tuple[_Mention, str]]:
    """One piece of text per product mention, without the product's own words.

    "加两条硬芙 加三条白沙" puts the instruction before each product (verb first); "硬芙加两条
    白沙加三条" after it (product first). Which it is shows in the words before the first product.
    """
    verb_first = _has_signal(text[: mentions[0].start])
    last = len(mentions) - 1
    pieces: list[tuple[_Mention, str]] = []
    for index, mention in enumerate(mentions):
        if verb_first:
            words = text[mentions[index - 1].end if index else 0 : mention.start]
            if index == last:
                words += " " + text[mention.end :]
        else:
            words = text[mention.end : mentions[index + 1].start if index < last else len(text)]
            if index == 0:
                words = text[: mention.start] + " " + words
        pieces.append((mention, words))
    return pieces


def _read(words: str, inherited: Action | None) -> tuple[Action, int | None, Unit | None, bool]:
    """What to do and how much, from the words around one product.

    Returns (action, quantity, unit, explicit) where ``explicit`` says an action word was seen.
    """
    cleaned = _NEUTRAL.sub(" ", words)
    quantities = find_quantities(cleaned)
    target = _TARGET.search(cleaned)
    if target is not None:
        after = [q for q in quantities if q.start >= target.end()]
        if after:
            return "set", after[0].value, after[0].unit, True
    chosen = next((q for q in quantities if q.unit), quantities[0] if quantities else None)
    if _REDUCE.search(cleaned):
        action: Action | None = "reduce"
    elif _ADD.search(cleaned):
        action = "add"
    elif _REMOVE.search(cleaned):
        action = "reduce" if chosen and chosen.value > 0 else "remove"
    else:
        action = None
    if chosen is None:
        if action == "remove":
            return "remove", None, None, True
        return action or ("set" if target else inherited or "set"), None, None, action is not None
    return action or inherited or "set", chosen.value, chosen.unit, action is not None


def _unknown(resolve: _Resolver, phrase: str) -> LineChange:
    """A clause that reads like an order change but names no catalog product."""
    leftover = _QUANTITY.sub(" ", phrase)
    for pattern in (_TARGET, _ADD, _REDUCE, _REMOVE):
        leftover = pattern.sub(" ", leftover)
    leftover = leftover.strip()
    suggestions = resolve.suggestions(leftover)
    action, quantity, unit, _ = _read(phrase, None)
    return LineChange(None, action, quantity, unit or "carton", phrase.strip(), suggestions)


def _group_pieces(resolve: _Resolver, text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The whitespace pieces of a clause, each holding a product; a piece without one joins its
    neighbour ("再加点白沙 三条" and "order 里加两条白沙" are one change each)."""
    pieces = _pieces(text, start, end)
    if len(pieces) == 1:
        return pieces
    groups: list[tuple[int, int]] = []
    lead: int | None = None
    for piece_start, piece_end in pieces:
        if resolve(text[piece_start:piece_end]):
            groups.append((piece_start if lead is None else lead, piece_end))
            lead = None
        elif groups:
            groups[-1] = (groups[-1][0], piece_end)
        elif lead is None:
            lead = piece_start
    return groups or [(start, end)]


def read_order_changes(
    text: str,
    *,
    find_products: ProductFinder,
    suggest_products: Suggester = lambda _: (),
    entities: Sequence[Mapping[str, Any]] = (),
) -> list[LineChange]:
    """Every line change asked for in ``text``, in the order the user said them.

    ``find_products`` returns the products named in a piece of text with their spans (the
    actions pass lang.products over the catalog, with the user's order deciding what a bare
    brand means); ``suggest_products`` offers near misses for a name it does not know.
    ``entities`` are Rasa's entities for the message (dicts with entity, value, start, end):
    a product entity adds a product the finder missed in the text, and a quantity entity (which
    the NLU pipeline normalises to 条, lang/quantities.py) fills in a whole number of 条 the
    text reader could not read. The text comes first because it also says what to do
    (加/减/改成) and DIET's spans can be wrong (a minus sign dropped, an unknown brand tagged as
    a product). An empty list means the message names no change at all.
    """
    text = fold_width(text or "")[:MAX_TEXT]
    resolve = _Resolver(find_products, suggest_products)
    hints = _entity_mentions(resolve, text, entities)
    quantity_hints = [
        (int(entity["start"]), _whole(entity.get("value")))
        for entity in entities
        if entity.get("entity") == "quantity" and isinstance(entity.get("start"), int)
    ]
    requests: list[LineChange] = []
    previous_action: Action | None = None
    for start, end, joined in _spans(text)[:MAX_CLAUSES]:
        for group_start, group_end in _group_pieces(resolve, text, start, end)[:MAX_CLAUSES]:
            chunk = text[group_start:group_end]
            found = resolve(chunk)
            local_hints = [
                _Mention(h.product, h.start - group_start, h.end - group_start)
                for h in hints
                if group_start <= h.start and h.end <= group_end
            ]
            mentions = _merge_mentions(found, local_hints)
            if not mentions:
                if find_quantities(_NEUTRAL.sub(" ", chunk)):
                    requests = _attach_or_unknown(resolve, requests, chunk)
                continue
            for mention, words in _segments(chunk, mentions):
                action, quantity, unit, explicit = _read(words, previous_action if joined else None)
                if quantity is None:
                    span = (group_start + mention.start, group_end)
                    quantity = next(
                        (
                            v
                            for at, v in quantity_hints
                            if v is not None and span[0] <= at < span[1]
                        ),
                        None,
                    )
                    unit = "carton" if quantity is not None else unit
                    if quantity is not None and action == "remove":
                        action = "reduce"
                requests.append(
                    LineChange(mention.product, action, quantity, unit or "carton", chunk.strip())
                )
                if explicit:
                    previous_action = action
    return requests[:MAX_CLAUSES]


def _whole(value: Any) -> int | None:
    """A quantity entity's value as a whole number of 条, or None (2.5 条 is not orderable)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    number = parse_number(str(value or ""))
    return number if isinstance(number, int) else None


def _attach_or_unknown(
    resolve: _Resolver, requests: list[LineChange], chunk: str
) -> list[LineChange]:
    """A clause with a quantity but no product: the missing quantity of the change before
    it ("再加点白沙,三条"), or else a change to something the catalog does not know
    ("中南海加两条")."""
    action, quantity, unit, explicit = _read(chunk, None)
    last = requests[-1] if requests else None
    if last is not None and last.product is not None and last.quantity is None and quantity:
        merged = LineChange(
            last.product,
            action if explicit else last.action,
            quantity,
            unit or "carton",
            f"{last.phrase} {chunk.strip()}",
        )
        return [*requests[:-1], merged]
    return [*requests, _unknown(resolve, chunk)]


@dataclass(frozen=True)
class EllipticalChange:
    """A change that names no product: 改成4条, 再加两条, 不对,是4条, 换成软的, "make it 4",
    "add two more", "I meant 4". The product is the one the conversation is about.

    ``action`` is ``set`` (an absolute quantity: 改成4条, 是4条, "make it 4") or ``add`` /
    ``reduce`` (relative: 再加两条, 少一条); ``quantity`` is None when only the variant changes
    (``variant``: 换成软的 is ``soft``).
    """

    action: Action
    quantity: int | None
    unit: Unit = "carton"
    variant: Variant | None = None


# Words that open a correction and say nothing about the change itself: 不对,是4条 / "no, 4".
_CORRECTION_LEAD = re.compile(
    r"^(?:不对|不是|错了|说错了|搞错了|弄错了|写错了|我是说|我说的是|我的意思是|应该是|其实|"
    r"哦|噢|啊|呃|额|嗯|诶|哎|\bno\b|\bnope\b|\bsorry\b|\boops\b|\bwait\b|\bactually\b|"
    r"\bi\s+meant?\b|\bi\s+said\b|\b(?:it\s+)?should\s+be\b)[\s,.;:!?,。;:!?、]*",
    re.IGNORECASE,
)
_ELLIPSIS_FILLER = re.compile(
    r"[了吧呢的啊呀吗嘛哦是就要条包件个些点一下来给我那它这数量成为换还]|"
    r"\b(?:make|makes|it|that|to|change|please|pls|instead|more|one|ones|the|a|an|just|want|"
    r"need|let'?s|do|then|ok|okay|only|total|in|of|cartons?|packs?|cases?|version|take|off|switch|"
    r"give|me|go|with|for|them|those|ctns?)\b|[\s,.;:!?'\"+,。;:!?、~…-]",
    re.IGNORECASE,
)
# "the soft one": its "one" names the variant, not a quantity.
_VARIANT_ONE = re.compile(r"\b(soft|hard|other|same)(\s*(?:pack|box))?\s+ones?\b", re.IGNORECASE)
_VARIANT_WORDS = re.compile(
    r"[软硬](?:的|包|盒|装|一点)?|\b(?:soft|hard)(?:\s*(?:pack|box))?\b|\bbox\b", re.IGNORECASE
)


_NOT_THAT = re.compile(r"不是|\bnot\b", re.IGNORECASE)


def _strip_lead(text: str) -> str:
    """The text without the correction words it opens with (不对, 我是说, "no", "I meant")."""
    previous = None
    while previous != text:
        previous, text = text, _CORRECTION_LEAD.sub("", text.strip(), count=1)
    return text


def read_elliptical_change(text: str) -> EllipticalChange | None:
    """The change ``text`` asks for when it names no product at all, else None.

    Only a message made of nothing but a quantity, change words (改成, 加, 减, "make it",
    "add ... more"), a pack variant and filler counts: "中南海加两条" names a product the
    catalog may not know and is not elliptical. A removal (不要了, 算了) is never read here: a
    bare "不要了" calls off what is under way, it does not delete the product in context.
    """
    body = _VARIANT_ONE.sub(r"\1\2", _strip_lead(fold_width(text or "")[:MAX_TEXT]))
    cleaned = _NEUTRAL.sub(" ", body)
    quantities = find_quantities(cleaned)
    if len(quantities) == 2 and _NOT_THAT.search(text):
        # 不是3条 是5条 / "not 3, 5": the figure after the denied one counts.
        body = cleaned = cleaned[quantities[1].start :]
        quantities = find_quantities(cleaned)
    variant = read_variant(body)
    if len(quantities) > 1 or (not quantities and variant is None):
        return None
    leftover = _QUANTITY.sub(" ", _HALF.sub(" ", cleaned))
    for pattern in (_TARGET, _ADD, _REDUCE, _VARIANT_WORDS):
        leftover = pattern.sub(" ", leftover)
    if _ELLIPSIS_FILLER.sub("", leftover):
        return None
    if not quantities:
        return EllipticalChange("set", None, "carton", variant)
    action, quantity, unit, _ = _read(body, None)
    if action == "remove":
        return None
    return EllipticalChange(action, quantity, unit or "carton", variant)
