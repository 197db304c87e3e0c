"""Product mentions to catalog spec names, with a confidence.

Retailers name a product by its spec (芙蓉王(硬)), a nickname (硬芙), a spec variant in another
order (芙蓉王软蓝, 软蓝芙蓉王, "Furongwang blue"), a bare brand (芙蓉王: the brand's default spec,
CONTRACT.md), pinyin or English (furongwang ying, Liqun), or with a typo from a pinyin keyboard
(芙容王, 利裙) or a slip of the finger (furongwnag). :class:`ProductResolver` maps one mention,
as the entity extractor found it, to a :class:`ProductMatch`; :meth:`ProductResolver.find_all`
finds every product named in a whole message, with where it was named, for the actions when the
NLU found none.

It is the one product reader. In the Rasa server it works from the table ``make nlu-tables``
generates from the catalog (data/lookup/products.json, stored in the model at training time);
in the app, retail.catalog builds one from the database rows. One cut-off for typos
(:data:`MIN_FUZZY`) and one set of names for both.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pypinyin import lazy_pinyin
from rapidfuzz import fuzz, process

_STRIP = re.compile(r"[\s()()\[\]【】·.,,。、!!??'\"“”‘’:_\-/&]+")
_TRAILING = re.compile(r"(?:的|烟|牌|这个|那个|呢|吧|啊)+$")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_BRACKET = re.compile(r"[((](.*?)[))]")
MIN_FUZZY = 85.0
"""Least rapidfuzz ratio (0-100) for a typo to count as a name: 芙容王 and furongwnag pass,
two different brands of similar spelling do not."""
MIN_SUGGESTION = 50.0
"""Least partial ratio for a near miss to be offered as "did you mean"."""


def normalise(text: str) -> str:
    """Lower case, half-width, without spaces and punctuation: the form names are compared in."""
    return _STRIP.sub("", unicodedata.normalize("NFKC", text).lower())


def pinyin_key(text: str) -> str:
    """Toneless pinyin of the normalised text, so homophone typos match (芙容王 = 芙蓉王)."""
    return "".join(lazy_pinyin(normalise(text)))


@dataclass(frozen=True)
class ProductMatch:
    """A catalog spec for a mention, and how it was found.

    ``bare_brand`` is True when only the brand was named (the spec is the brand default, and
    an action may prefer a spec of that brand already on the user's order). ``method`` is one
    of exact, contained, variant, brand, pinyin, fuzzy.
    """

    spec: str
    brand: str
    confidence: float
    method: str
    bare_brand: bool
    matched: str


@dataclass(frozen=True)
class ProductMention:
    """A product named in a longer text: the match, and where (``text[start:end]``)."""

    match: ProductMatch
    start: int
    end: int


def _index_map(text: str) -> tuple[str, list[int]]:
    """The matching form of ``text`` (:func:`normalise`) and, per character, where it came from."""
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        for folded in normalise(char):
            chars.append(folded)
            origin.append(index)
    return "".join(chars), origin


def _pinyin_map(normalised: str, origin: list[int]) -> tuple[str, list[int]]:
    """Toneless pinyin of the matching form, with the original index of each letter."""
    letters: list[str] = []
    where: list[int] = []
    for char, index in zip(normalised, origin, strict=True):
        spoken = "".join(lazy_pinyin(char)) if _CJK.match(char) else char
        letters.extend(spoken)
        where.extend([index] * len(spoken))
    return "".join(letters), where


@dataclass(frozen=True)
class _Key:
    text: str
    spec: str
    brand: str
    specific: bool


def _variant_words(item: Mapping[str, Any]) -> set[str]:
    """What tells a spec from its brand's others: 芙蓉王(软蓝) -> {软, 蓝, soft, blue}."""
    words: set[str] = set()
    for name in (item["spec"], item.get("name_en", "")):
        for inner in _BRACKET.findall(name):
            lowered = unicodedata.normalize("NFKC", inner).lower()
            words |= {w for w in re.split(r"[\s\-]+", lowered) if w.isascii() and w}
            words |= {ch for ch in lowered if _CJK.match(ch)}
    if not _BRACKET.search(item["spec"]):  # 时尚宏声: the words beside the brand
        words |= {ch for ch in item["spec"].replace(item["brand"], "") if _CJK.match(ch)}
    return words


class ProductResolver:
    """Resolves product mentions against a product table (a list of catalog rows).

    Each row has ``spec``, ``brand``, ``brand_en``, ``name_en``, ``aliases`` and
    ``default_for_brand``, and optionally ``code`` (the catalog's product code, which staff
    type). Building the resolver computes every key once (a few hundred names).
    """

    def __init__(self, products: Iterable[Mapping[str, Any]]) -> None:
        self._products = [dict(item) for item in products]
        self._keys: list[_Key] = []
        self._brands: dict[str, str] = {}  # normalised brand name -> brand
        self._defaults: dict[str, str] = {}  # brand -> default spec
        self._variants: dict[str, list[tuple[str, set[str]]]] = {}
        for item in self._products:
            spec, brand = item["spec"], item["brand"]
            names = [spec, item.get("name_en", ""), item.get("code", ""), *item.get("aliases", [])]
            self._keys += [_Key(normalise(n), spec, brand, True) for n in names if normalise(n)]
            self._variants.setdefault(brand, []).append((spec, _variant_words(item)))
            for name in (brand, item.get("brand_en", "")):
                if normalise(name):
                    self._brands[normalise(name)] = brand
            if item.get("default_for_brand"):
                self._defaults[brand] = spec
                for name in (brand, item.get("brand_en", "")):
                    if normalise(name):
                        self._keys.append(_Key(normalise(name), spec, brand, False))
        self._exact: dict[str, _Key] = {}
        for key in sorted(self._keys, key=lambda k: not k.specific):
            self._exact.setdefault(key.text, key)
        self._pinyin: dict[str, _Key] = {}
        for key in self._keys:
            spoken = pinyin_key(key.text) if _CJK.search(key.text) else key.text
            self._pinyin.setdefault(spoken, key)
        self._by_length = sorted(self._exact.values(), key=lambda k: len(k.text), reverse=True)

    @property
    def specs(self) -> list[str]:
        """Every spec in the table, in table order."""
        return [item["spec"] for item in self._products]

    def is_spec_name(self, text: str) -> bool:
        """Whether ``text`` is exactly a spec's name or alias ("Dahongying 50", not "Liqun 8")."""
        key = self._exact.get(normalise(text))
        return key is not None and key.specific

    def _match(self, key: _Key, confidence: float, method: str) -> ProductMatch:
        return ProductMatch(
            spec=key.spec,
            brand=key.brand,
            confidence=round(confidence, 2),
            method=method,
            bare_brand=not key.specific,
            matched=key.text,
        )

    def _variant(self, query: str, brand: str, brand_text: str) -> ProductMatch | None:
        """A brand plus variant words in any order: 芙蓉王软蓝 / 蓝的芙蓉王 / Furongwang blue."""
        rest = query.replace(brand_text, "", 1)
        if not rest:
            return None
        ascii_rest = set(re.findall(r"[a-z]+", rest))
        cjk_rest = set(_CJK.findall(rest))
        best: tuple[int, str] | None = None
        for spec, words in self._variants.get(brand, []):
            overlap = len(words & cjk_rest) + sum(
                1 for w in words if w.isascii() and any(w == r or r.endswith(w) for r in ascii_rest)
            )
            if overlap and (best is None or overlap > best[0]):
                best = (overlap, spec)
        if best is None:
            return None
        return ProductMatch(
            spec=best[1],
            brand=brand,
            confidence=0.9,
            method="variant",
            bare_brand=False,
            matched=query,
        )

    def resolve(self, text: str) -> ProductMatch | None:
        """The catalog spec ``text`` names, or None when nothing is close enough.

        In turn: an exact name (1.0); the longest name inside the mention (0.95); a brand
        with variant words (0.9); a brand alone (1.0 exact, 0.85 inside a longer mention);
        the same on toneless pinyin (0.9 exact, 0.85 inside); a fuzzy match for small typos
        (0.9 x similarity).
        """
        whole = normalise(text)
        if not whole:
            return None
        key = self._exact.get(whole)
        if key is not None:
            return self._match(key, 1.0, "exact")
        query = _TRAILING.sub("", whole) or whole  # 白沙精品烟, 芙蓉王的 (but 云烟 is a brand)
        key = self._exact.get(query)
        if key is not None:
            return self._match(key, 1.0, "exact")
        for brand_text, brand in sorted(self._brands.items(), key=lambda b: -len(b[0])):
            if brand_text in query:
                variant = self._variant(query, brand, brand_text)
                if variant is not None:
                    return variant
                break
        for key in self._by_length:
            if len(key.text) >= 2 and key.text in query:
                if key.specific:
                    return self._match(key, 0.95, "contained")
                return self._match(key, 0.85, "brand")
        spoken = pinyin_key(query) if _CJK.search(query) else query
        key = self._pinyin.get(spoken)
        if key is not None:
            return self._match(key, 0.9, "pinyin")
        for text_key, key in sorted(self._pinyin.items(), key=lambda kv: -len(kv[0])):
            if len(text_key) >= 4 and text_key in spoken:
                return self._match(key, 0.85, "pinyin")
        return self._fuzzy(query, spoken)

    def _fuzzy(self, query: str, spoken: str) -> ProductMatch | None:
        """A small typo: the most similar name (or its pinyin) above the cut-off."""
        if len(spoken) < 4:
            return None
        choices = list(self._pinyin)
        found = process.extractOne(spoken, choices, scorer=fuzz.ratio, score_cutoff=MIN_FUZZY)
        if found is None and query != spoken:
            choices = [k.text for k in self._keys]
            found = process.extractOne(query, choices, scorer=fuzz.ratio, score_cutoff=MIN_FUZZY)
            if found is not None:
                return self._match(self._keys[found[2]], 0.9 * found[1] / 100, "fuzzy")
        if found is None:
            return None
        return self._match(self._pinyin[found[0]], 0.9 * found[1] / 100, "fuzzy")

    def find_all(self, text: str) -> list[ProductMention]:
        """Every product named in ``text`` (a whole message), in the order they appear.

        In turn, stopping at the first step that finds something: names found verbatim, longest
        first and not overlapping a longer one (芙蓉王硬 beats 芙蓉王); the same on toneless
        pinyin (homophone typos: 芙容王, 利裙); a typo of one name when the text is just that
        name (the mention then spans the text). A text that is one mention with variant words
        (软蓝芙蓉王) gets the spec :meth:`resolve` finds.
        """
        normalised, origin = _index_map(text)
        if not normalised:
            return []
        found = self._verbatim(normalised, origin, self._by_length, 0.95)
        if found:
            if len(found) == 1 and found[0].match.bare_brand:
                single = self.resolve(text)
                if single is not None and not single.bare_brand:
                    return [ProductMention(single, found[0].start, found[0].end)]
            return found
        spoken, where = _pinyin_map(normalised, origin)
        pinyin_keys = [
            _Key(text_key, key.spec, key.brand, key.specific)
            for text_key, key in self._pinyin.items()
            if text_key != key.text
        ]
        found = self._verbatim(spoken, where, pinyin_keys, 0.85, method="pinyin", least=4)
        if found:
            return found
        single = self._fuzzy(normalised, spoken)
        return [] if single is None else [ProductMention(single, 0, len(text))]

    def _verbatim(
        self,
        haystack: str,
        origin: list[int],
        keys: Iterable[_Key],
        contained: float,
        *,
        method: str = "contained",
        least: int = 2,
    ) -> list[ProductMention]:
        """Keys found in ``haystack``, longest first, each where it overlaps no longer hit."""
        taken: list[tuple[int, int]] = []
        mentions: list[ProductMention] = []
        seen: set[str] = set()
        for key in sorted(keys, key=lambda k: len(k.text), reverse=True):
            if len(key.text) < least or key.text in seen:
                continue
            position = haystack.find(key.text)
            while position != -1:
                end = position + len(key.text)
                if all(end <= s or position >= e for s, e in taken):
                    taken.append((position, end))
                    seen.add(key.text)
                    whole = key.text == haystack
                    if method == "pinyin":
                        confidence, kind = (0.9 if whole else contained), method
                    elif whole:
                        confidence, kind = 1.0, "exact"
                    else:
                        confidence = contained if key.specific else 0.85
                        kind = method if key.specific else "brand"
                    match = self._match(key, confidence, kind)
                    mentions.append(ProductMention(match, origin[position], origin[end - 1] + 1))
                    break
                position = haystack.find(key.text, position + 1)
        unique: dict[str, ProductMention] = {}
        for mention in sorted(mentions, key=lambda m: m.start):
            unique.setdefault(mention.match.spec, mention)
        return list(unique.values())

    def suggest(self, text: str, *, limit: int = 3) -> list[str]:
        """Specs whose names come closest to ``text``, best first: the "did you mean" list."""
        query = normalise(text)
        if not query:
            return []
        choices = [key.text for key in self._keys]
        scored = process.extract(query, choices, scorer=fuzz.partial_ratio, limit=limit * 4)
        specs: list[str] = []
        for _, score, index in scored:
            spec = self._keys[index].spec
            if score >= MIN_SUGGESTION and spec not in specs:
                specs.append(spec)
        return specs[:limit]
