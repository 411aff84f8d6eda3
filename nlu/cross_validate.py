"""Stratified k-fold cross-validation of the intent classifier on the training data (never the held-out
set in tests/nlu/), with Rasa's fallback rule and the safety net applied as config.yml configures them.

Run ``python -m nlu.cross_validate`` (``--grouped`` keeps near-duplicate examples in one fold, a stricter
estimate; ``--set C=5`` tries a variation of the classifier's config without editing it).
"""
from __future__ import annotations

import argparse
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import yaml

from nlu import intent_classifier
from nlu.safeguarding.lexicon import safer_intent

PROJECT = Path(__file__).resolve().parent.parent
DATA = PROJECT / "nlu" / "data"
CONFIG = PROJECT / "config.yml"
CACHE = PROJECT / "nlu" / "build" / "cv_embeddings.npz"
CLASSIFIER = "nlu.intent_classifier.SentenceIntentClassifier"
OUT_OF_SCOPE, FALLBACK, CRISIS = "out_of_scope", "nlu_fallback", "crisis"
REJECT = {OUT_OF_SCOPE, FALLBACK}
# Examples whose embeddings are at least this similar count as near-duplicates for --grouped. (Holding out
# whole files is no use here: each intent lives in one file.)
NEAR_DUPLICATE = 0.8


@dataclass(frozen=True)
class Example:
    text: str
    intent: str


@dataclass
class Settings:
    classifier: Dict[str, Any]
    threshold: float
    ambiguity_threshold: float


def load_examples(folder: Path = DATA) -> List[Example]:
    """Every intent example as Rasa reads it (entity annotations stripped)."""
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.constants import INTENT, TEXT

    found: List[Example] = []
    for path in sorted(folder.glob("*.yml")):
        for message in load_data(str(path)).intent_examples:
            found.append(Example(message.get(TEXT), message.get(INTENT)))
    return found


def load_settings(path: Path = CONFIG) -> Settings:
    """The classifier's config (its defaults overlaid by config.yml) and the fallback thresholds."""
    pipeline = {step["name"]: step for step in yaml.safe_load(path.read_text())["pipeline"]}
    overrides = {k: v for k, v in pipeline.get(CLASSIFIER, {}).items() if k != "name"}
    fallback = pipeline.get("FallbackClassifier", {})
    # Rasa's own defaults when config.yml leaves them out.
    return Settings({**intent_classifier.DEFAULTS, **overrides}, float(fallback.get("threshold", 0.3)),
                    float(fallback.get("ambiguity_threshold", 0.1)))


def _fingerprint() -> str:
    # A different encoder (a new package version) must not reuse old embeddings.
    from knowledge.embedding import _model_dir

    weights = os.stat(os.path.join(_model_dir(), "model.safetensors"))
    return f"{weights.st_size}:{weights.st_mtime_ns}"


def embedder(texts: Sequence[str], cache: Optional[Path] = CACHE) -> Callable[[Sequence[str]], np.ndarray]:
    """A lookup of sentence embeddings for ``texts``, each distinct text encoded once and kept in nlu/build/
    between runs."""
    from knowledge.embedding import encoder

    fingerprint = _fingerprint()
    known: Dict[str, np.ndarray] = {}
    if cache and cache.exists():
        stored = np.load(cache, allow_pickle=False)
        if str(stored["fingerprint"]) == fingerprint:
            known = dict(zip(stored["texts"].tolist(), stored["vectors"]))
    missing = sorted(set(texts) - set(known))
    if missing:
        known.update(zip(missing, encoder().encode(missing)))
        if cache:
            cache.parent.mkdir(parents=True, exist_ok=True)
            kept = sorted(known)
            np.savez(cache, fingerprint=fingerprint, texts=np.array(kept), vectors=np.stack([known[t] for t in kept]))
    return lambda wanted: np.stack([known[t] for t in wanted])


def near_duplicate_groups(embeddings: np.ndarray, threshold: float = NEAR_DUPLICATE) -> np.ndarray:
    """A group id per example: connected components of examples at least ``threshold`` similar."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    similar = csr_matrix(embeddings @ embeddings.T >= threshold)
    return connected_components(similar, directed=False)[1]


def decide(probabilities: np.ndarray, classes: Sequence[str], texts: Sequence[str], settings: Settings) -> List[str]:
    """The intent the pipeline would give: the top class, Rasa's fallback rule, then the safety net."""
    decided = []
    for row, text in zip(probabilities, texts):
        first, second = np.sort(row)[::-1][:2]
        ranking = [classes[i] for i in np.argsort(row)[::-1]]
        intent = ranking[0]
        if first < settings.threshold or first - second < settings.ambiguity_threshold:
            intent = FALLBACK
        # nlu.safety_net: a clear risk is always crisis; a crisis made only of idioms is not.
        intent = safer_intent(text, [intent] + [c for c in ranking if c != intent]) or intent
        decided.append(intent)
    return decided


def cross_validate(examples: Sequence[Example], embed: Callable[[Sequence[str]], np.ndarray], settings: Settings,
                   folds: int = 5, seed: int = 0, groups: Optional[np.ndarray] = None) -> List[str]:
    """Each example's prediction from the model trained on the other folds (only those are augmented)."""
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    texts = [e.text for e in examples]
    labels = [e.intent for e in examples]
    if groups is None:
        splits = StratifiedKFold(folds, shuffle=True, random_state=seed).split(texts, labels)
    else:
        splits = StratifiedGroupKFold(folds, shuffle=True, random_state=seed).split(texts, labels, groups)
    predicted = [""] * len(examples)
    for train, test in splits:
        config = settings.classifier
        model, vectorizers = intent_classifier.fit_model(
            [texts[i] for i in train], [labels[i] for i in train], config, embed)
        test_texts = [texts[i] for i in test]
        probabilities = intent_classifier.predict_proba(model, vectorizers, embed(test_texts), test_texts, config)
        for i, intent in zip(test, decide(probabilities, list(model.classes_), test_texts, settings)):
            predicted[i] = intent
    return predicted


def f1_per_intent(gold: Sequence[str], predicted: Sequence[str]) -> Dict[str, float]:
    """F1 of each in-scope intent over the in-scope examples, as bench/nlu_bench.py scores the held-out set:
    a fallback or out-of-scope answer is a miss, and out-of-scope examples are scored as rejection."""
    pairs = [(g, p) for g, p in zip(gold, predicted) if g != OUT_OF_SCOPE]
    scores = {}
    for label in sorted({g for g, _ in pairs}):
        tp = sum(1 for g, p in pairs if g == p == label)
        fp = sum(1 for g, p in pairs if p == label and g != label)
        fn = sum(1 for g, p in pairs if g == label and p != label)
        scores[label] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return scores


def summary(gold: Sequence[str], predicted: Sequence[str]) -> Dict[str, float]:
    """Macro-F1, out-of-scope rejection and crisis recall."""
    per_intent = f1_per_intent(gold, predicted)
    oos = [p for g, p in zip(gold, predicted) if g == OUT_OF_SCOPE]
    crisis = [p for g, p in zip(gold, predicted) if g == CRISIS]
    return {"macro_f1": sum(per_intent.values()) / len(per_intent),
            "oos_rejection": sum(p in REJECT for p in oos) / max(1, len(oos)),
            "crisis_recall": sum(p == CRISIS for p in crisis) / max(1, len(crisis)),
            "fallback_rate": sum(p == FALLBACK for g, p in zip(gold, predicted) if g != OUT_OF_SCOPE)
            / max(1, sum(g != OUT_OF_SCOPE for g in gold))}


def confusions(examples: Sequence[Example], predicted: Sequence[str], top: int) -> List[Tuple[Tuple[str, str], List[str]]]:
    """The most frequent (gold, predicted) mistakes, each with its example texts."""
    wrong: Dict[Tuple[str, str], List[str]] = {}
    for example, intent in zip(examples, predicted):
        if intent != example.intent and not (example.intent == OUT_OF_SCOPE and intent in REJECT):
            wrong.setdefault((example.intent, intent), []).append(example.text)
    return sorted(wrong.items(), key=lambda item: -len(item[1]))[:top]


def report(examples: Sequence[Example], predicted: Sequence[str], worst: int, top: int, texts: int) -> str:
    gold = [e.intent for e in examples]
    figures = summary(gold, predicted)
    counts = Counter(gold)
    lines = [f"intent macro-F1 (in scope) {figures['macro_f1']:.3f}   out-of-scope rejection "
             f"{figures['oos_rejection']:.3f}   crisis recall {figures['crisis_recall']:.3f}   "
             f"in-scope fallback rate {figures['fallback_rate']:.3f}", "", "per-intent F1, worst first:"]
    for intent, score in sorted(f1_per_intent(gold, predicted).items(), key=lambda item: item[1])[:worst]:
        lines.append(f"  {score:.3f}  {intent} ({counts[intent]} examples)")
    lines += ["", "most frequent confusions (gold -> predicted):"]
    for (intent, wrong), found in confusions(examples, predicted, top):
        lines.append(f"  {len(found):3d}  {intent} -> {wrong}")
        lines += [f"         {text!r}" for text in found[:texts]]
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--grouped", action="store_true", help="keep near-duplicate examples in one fold")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a classifier setting, or threshold / ambiguity_threshold")
    parser.add_argument("--worst", type=int, default=15, help="how many intents to list")
    parser.add_argument("--confusions", type=int, default=20)
    parser.add_argument("--texts", type=int, default=3, help="example texts per confusion")
    parser.add_argument("--no-cache", action="store_true", help="do not keep embeddings in nlu/build/")
    args = parser.parse_args(argv)

    settings = load_settings()
    for item in args.set:
        key, _, value = item.partition("=")
        if key in ("threshold", "ambiguity_threshold"):
            setattr(settings, key, float(value))
        else:
            settings.classifier[key] = yaml.safe_load(value)  # numbers, null, strings as YAML reads them
    examples = load_examples()
    texts = [e.text for e in examples]
    # Every text a fold may train on, noisy copies included, embedded (or read from the cache) at once.
    everything, _ = intent_classifier.training_set(texts, [e.intent for e in examples], settings.classifier)
    embed = embedder(everything, None if args.no_cache else CACHE)
    groups = near_duplicate_groups(embed(texts)) if args.grouped else None
    predicted = cross_validate(examples, embed, settings, args.folds, args.seed, groups)
    print(f"{len(examples)} examples, {len(set(e.intent for e in examples))} intents, {args.folds} folds"
          f"{' grouped by near-duplicates' if args.grouped else ''}; classifier {settings.classifier}; "
          f"fallback threshold {settings.threshold}, ambiguity {settings.ambiguity_threshold}\n")
    print(report(examples, predicted, args.worst, args.confusions, args.texts))


if __name__ == "__main__":
    main()
