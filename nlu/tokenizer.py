"""Jieba tokenisation for mixed Chinese and English retail messages.

Rasa's JiebaTokenizer keeps the spaces between English words as tokens ("how", " ", "much"),
which become noise features, and it glues numbers to their units (两条, 3条) and to
neighbouring words, so entity spans such as [两](quantity)[条](unit) cannot line up with tokens.
This tokenizer drops whitespace tokens and splits each token where it switches between a
numeral, a unit and other text. The generated user dictionary (data/jieba/, ``make
nlu-tables``) keeps brand, alias, shop and time words whole.
"""

from __future__ import annotations

import re

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message

_NUMERAL = r"[0-9零〇一二两三四五六七八九十百千万.kK]"
_UNIT = r"[条包件盒箱]"
_PIECES = re.compile(rf"{_NUMERAL}+|{_UNIT}|(?:(?!{_NUMERAL}|{_UNIT}).)+")
_HAS_DIGIT = re.compile(rf"{_NUMERAL}|{_UNIT}")


def split_token(token: Token) -> list[Token]:
    """Split a token at numeral / unit / other boundaries, keeping character offsets."""
    text = token.text
    if not _HAS_DIGIT.search(text) or (text.isascii() and text.isalpha()):
        return [token]
    return [Token(m.group(), token.start + m.start()) for m in _PIECES.finditer(text)]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class CleanJiebaTokenizer(JiebaTokenizer):
    """JiebaTokenizer without whitespace tokens, with numerals and units split apart."""

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        """Tokens of the attribute's text."""
        tokens = super().tokenize(message, attribute)
        return [piece for token in tokens if token.text.strip() for piece in split_token(token)]
