"""Train the safeguarding model, or choose its settings by cross-validation of the training data alone.

    python -m nlu.safeguarding.train            # fit on every training example, write nlu/build/safeguarding/
    python -m nlu.safeguarding.train --cv       # 5-fold cross-validation: recall and specificity by threshold

The held-out set in ``tests/safeguarding/`` is never read here: it is scored only by ``make bench``.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import replace
from typing import Callable, Sequence

import numpy as np

from nlu.safeguarding.categories import CATEGORIES
from nlu.safeguarding.classifier import MODEL_PATH, clauses
from nlu.safeguarding.data import INTENT_WEIGHT, Example, training_examples
from nlu.safeguarding.model import Config, SafeguardingModel


def memo_embedder() -> Callable[[list[str]], np.ndarray]:
    """Embeddings remembered across folds: every fold trains on the same texts and noisy copies."""
    from knowledge.embedding import encoder

    seen: dict[str, np.ndarray] = {}

    def embed(texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in seen]
        for start in range(0, len(missing), 256):
            chunk = missing[start:start + 256]
            seen.update(zip(chunk, encoder().encode(chunk)))
        return np.stack([seen[t] for t in texts])

    return embed


def folds(examples: Sequence[Example], k: int, seed: int) -> list[list[int]]:
    """Stratified by each example's first category (or benign), so every fold holds every kind."""
    by_kind: dict[str, list[int]] = {}
    for i, e in enumerate(examples):
        kind = min(c.value for c in e.categories) if e.categories else "benign"
        by_kind.setdefault(kind, []).append(i)
    out: list[list[int]] = [[] for _ in range(k)]
    rng = random.Random(seed)
    for kind in sorted(by_kind):
        members = by_kind[kind]
        rng.shuffle(members)
        for j, i in enumerate(members):
            out[j % k].append(i)
    return out


def out_of_fold(examples: Sequence[Example], config: Config, k: int = 5, seed: int = 0,
                embed: Callable[[list[str]], np.ndarray] | None = None) -> np.ndarray:
    """(examples, 1 + categories) probabilities, each from a model that did not train on that example."""
    embed = embed or memo_embedder()
    scores = np.zeros((len(examples), 1 + len(CATEGORIES)))
    for fold in folds(examples, k, seed):
        held = set(fold)
        model = SafeguardingModel.fit([e for i, e in enumerate(examples) if i not in held], embed, config)
        for i in fold:
            # As the classifier reads a message: whole, and clause by clause when it has several.
            texts = [examples[i].text, *clauses(examples[i].text)]
            rows = model.probabilities(embed(texts), texts)
            scores[i] = rows[np.argmax(rows[:, 0])]
    return scores


def report(examples: Sequence[Example], scores: np.ndarray, config: Config) -> None:
    risk = np.array([e.risk for e in examples])
    hard = np.array([not e.risk and not e.from_intents for e in examples])  # the hard benign files, not intent data
    overall = scores[:, 0]
    print(f"{risk.sum()} risk and {(~risk).sum()} benign examples ({hard.sum()} hard)")
    print("threshold  recall  specificity  hard-benign specificity")
    for threshold in (0.02, 0.03, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5):
        flagged = overall >= threshold
        print(f"{threshold:9.2f}  {flagged[risk].mean():.4f}  {(~flagged[~risk]).mean():.4f}  {(~flagged[hard]).mean():.4f}")
    lowest = np.sort(overall[risk])[:5]
    print("lowest risk scores:", ", ".join(f"{s:.3f}" for s in lowest))
    at = config.risk_threshold
    flagged = overall >= at
    print(f"\nat {at}: recall {flagged[risk].mean():.4f}, specificity {(~flagged[~risk]).mean():.4f}")
    for n, category in enumerate(CATEGORIES, start=1):
        members = [i for i, e in enumerate(examples) if category in e.categories]
        named = [i for i in members if flagged[i] and (scores[i, n] >= config.category_threshold
                                                       or np.argmax(scores[i, 1:]) == n - 1)]
        print(f"  {category.value:20s} {len(members):4d}  caught {flagged[members].mean():.3f}  "
              f"category named {len(named) / max(len(members), 1):.3f}")
    print("\nmissed:")
    for i in np.where(risk & ~flagged)[0]:
        print(f"  {overall[i]:.3f} {sorted(c.value for c in examples[i].categories)} {examples[i].text}")
    print("\nfalse alarms:")
    for i in np.where(~risk & flagged)[0]:
        print(f"  {overall[i]:.3f} {examples[i].text}")


def train(config: Config | None = None) -> SafeguardingModel:
    import joblib

    started = time.monotonic()
    model = SafeguardingModel.fit(training_examples(), memo_embedder(), config or Config())
    MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model.state(), MODEL_PATH)
    print(f"Safeguarding model trained in {time.monotonic() - started:.0f} s: {MODEL_PATH}")
    return model


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cv", action="store_true", help="cross-validate instead of training")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--intent-weight", type=float, default=INTENT_WEIGHT,
                        help="weight of the intent data's ordinary traffic (0 leaves it out)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="try a setting (C=3, embedding_weight=1.0, ...)")
    args = parser.parse_args(argv)
    config = Config()
    for item in args.set:
        name, _, value = item.partition("=")
        current = getattr(config, name)
        config = replace(config, **{name: type(current)(value) if not isinstance(current, tuple)
                                    else tuple(int(v) for v in value.split(","))})
    if args.cv:
        examples = training_examples(intent_weight=args.intent_weight)
        report(examples, out_of_fold(examples, config, args.folds, args.seed), config)
    else:
        train(config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
