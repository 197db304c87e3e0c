"""Jieba tokenisation for mixed Chinese and English retail messages.

Rasa's JiebaTokenizer keeps the spaces between English words as tokens ("how", " ", "much"),
which become noise features, and it glues numbers to their units (两条, 3条) and to
neighbouring words, so entity spans such as [两](quantity)[条](unit) cannot line up with tokens.
This tokenizer drops whitespace tokens and splits numerals from units and digits from words
(lang/splitting.py says when). The generated user dictionary (data/jieba/, ``make
nlu-tables``) keeps brand, alias, shop and time words (上周四, 下个礼拜) whole.
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message

from lang.splitting import split_numerals


def split_token(token: Token) -> list[Token]:
    """Split a token at numeral / unit / other boundaries, keeping character offsets."""
    pieces = split_numerals(token.text)
    if len(pieces) == 1:
        return [token]
    return [Token(text, token.start + offset) for text, offset in pieces]


def plain_words(text: str) -> list[str]:
    """The words :class:`CleanJiebaTokenizer` finds in ``text``, for text that is not a Rasa
    message (the off-domain corpus the intent model reads itself). Jieba's dictionary is the
    process's, with the user dictionary the tokenizer loaded."""
    import jieba

    return [
        piece
        for word, _, _ in jieba.tokenize(text)
        if word.strip()
        for piece, _ in split_numerals(word)
    ]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class CleanJiebaTokenizer(JiebaTokenizer):
    """JiebaTokenizer without whitespace tokens, with numerals and units split apart."""

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        """Tokens of the attribute's text."""
        tokens = super().tokenize(message, attribute)
        return [piece for token in tokens if token.text.strip() for piece in split_token(token)]
