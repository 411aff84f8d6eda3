"""The sentence encoder: a text's vector does not depend on the texts encoded with it, and the vectors mean
what all-MiniLM-L6-v2 means (close texts close, unrelated ones apart)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from knowledge import embedding
from knowledge.embedding import encoder


def test_a_text_gets_the_same_vector_alone_or_packed_with_others(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = ["my partner just hit me and im scared", "", "toddler groups in bootle on saturday",
             "word " * 400, "help me"]
    alone = np.stack([encoder().encode([t])[0] for t in texts])
    # A small pack size forces texts across several packs, as a large batch would.
    monkeypatch.setattr(embedding, "PACK_TOKENS", 20)
    packed = encoder().encode(texts)
    assert packed.shape == (len(texts), 384) and packed.dtype == np.float32
    assert np.abs(packed - alone).max() < 1e-5
    assert np.allclose(np.linalg.norm(packed, axis=1), 1.0, atol=1e-5)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.text(max_size=60), min_size=1, max_size=6))
def test_any_texts_encode_to_unit_vectors_in_order(texts: list[str]) -> None:
    together = encoder().encode(texts)
    assert together.shape == (len(texts), 384)
    assert np.all(np.isfinite(together))
    first = encoder().encode(texts[:1])[0]
    assert np.abs(together[0] - first).max() < 1e-5


def test_meaning_is_kept() -> None:
    hungry, food, weather = encoder().encode(["i cant afford food for the kids", "where is the nearest food bank",
                                              "will it rain in southport tomorrow"])
    assert float(hungry @ food) > float(hungry @ weather) + 0.1
