"""Jieba tokenisation for mixed Chinese and English text.

Rasa's JiebaTokenizer keeps the spaces between English words as tokens ("how", " ", "much"),
which become noise features and break entity alignment in mixed text; this one drops them and
otherwise behaves the same (including the user dictionary of brands and shop names).
"""

from __future__ import annotations

from typing import Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class CleanJiebaTokenizer(JiebaTokenizer):
    """JiebaTokenizer without whitespace tokens."""

    def tokenize(self, message: Message, attribute: Text) -> list[Token]:
        """Tokens of the attribute's text, whitespace removed."""
        return [token for token in super().tokenize(message, attribute) if token.text.strip()]
