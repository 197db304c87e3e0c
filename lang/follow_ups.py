"""The words of an elliptical follow-up: 那利群呢, 换成软的, "how about the soft one?".

A follow-up leans on what the conversation is about: the product, the period or the shop
changes and the question stays. Products, times and shops are found by their own readers
(lang.products, lang.times, lang.shops); this module reads what only a follow-up says: which
variant of the product in context the user means (软的 / 硬的 / "the soft one"), and picks that
variant among a brand's specs. Pure Python, so the NLU side and the actions read alike.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

Variant = Literal["soft", "hard"]

_SOFT = re.compile(r"软(?:的|包|盒|装|一点)?|\bsoft(?:\s*pack)?\b", re.IGNORECASE)
_HARD = re.compile(r"硬(?:的|包|盒|装|一点)?|\bhard(?:\s*(?:pack|box))?\b|\bbox\b", re.IGNORECASE)
_BRACKET = re.compile(r"[((]([^))]*)[))]")
_VARIANT_MARKS: dict[Variant, tuple[str, str]] = {"soft": ("软", "soft"), "hard": ("硬", "hard")}


def read_variant(text: str) -> Variant | None:
    """Which pack variant ``text`` asks for: ``soft`` (软的, 软包, "the soft one"), ``hard``
    (硬的, 硬盒, "hard pack"), or None when it names neither or both."""
    soft, hard = bool(_SOFT.search(text or "")), bool(_HARD.search(text or ""))
    if soft == hard:
        return None
    return "soft" if soft else "hard"


def has_variant(spec: str, name_en: str, variant: Variant) -> bool:
    """Whether a catalog spec is of ``variant``: its bracketed part says so (芙蓉王(软蓝) is
    soft, 兰州(硬如意) is hard), in the Chinese spec or the English name."""
    zh_mark, en_mark = _VARIANT_MARKS[variant]
    inner = " ".join(_BRACKET.findall(spec) + _BRACKET.findall(name_en)).lower()
    return zh_mark in inner or en_mark in inner


def pick_variant(
    current: str, brand_specs: Sequence[tuple[str, str]], variant: Variant
) -> list[str]:
    """The specs of the brand (``(spec, name_en)`` pairs, the current one among them) that are
    of ``variant``, other than ``current``: one means the swap is clear, several that the user
    must choose, none that the brand has no such variant (or the current spec already is)."""
    return [
        spec
        for spec, name_en in brand_specs
        if spec != current and has_variant(spec, name_en, variant)
    ]
