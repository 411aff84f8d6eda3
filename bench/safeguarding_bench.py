"""Safeguarding benchmark, side by side in one run on the held-out messages in `tests/safeguarding/` that none
of them trained on: the safeguarding classifier (`nlu/safeguarding/`, counted twice: any routes at all, and the full reply with the queue), today's lexicon plus the intent model's
`crisis` (what answered risk before it), and a TF-IDF + logistic regression baseline trained on the same data
with its threshold chosen the same way (cross-validated for recall).

Figures: recall per category and overall, benign specificity, the misses listed, and the time per message
(median, one message at a time): from the raw text, and with the sentence embedding already made (the intent
model makes it for every message anyway, and shares it). Targets (issue 9): recall 1.0, specificity >= 0.97,
under 5 ms per message.
"""
from __future__ import annotations

import time
from typing import Callable

import numpy as np

from bench import report
from nlu.safeguarding.categories import CATEGORIES
from nlu.safeguarding.data import Example, held_out_examples, training_examples

Flags = Callable[[list[str]], list[frozenset]]


def classifier_assessments(texts: list[str]) -> list:
    from nlu.safeguarding.classifier import assess

    return [assess(t) for t in texts]


def old_flags(texts: list[str]) -> list[frozenset]:
    """Today's lexicon, and the intent model's `crisis` unless only idioms made it (``safer_intent``)."""
    from nlu.intent_classifier import DEFAULTS, fit_model, predict_proba
    from nlu.safeguarding.lexicon import safer_intent
    from knowledge.embedding import encoder

    from bench.nlu_bench import TRAIN, load_examples

    intent_examples = [e for path in TRAIN for f in sorted(path.glob("*.yml")) for e in load_examples(f)]
    train_texts, labels = [e["text"] for e in intent_examples], [e["intent"] for e in intent_examples]
    model, vectorizers = fit_model(train_texts, labels, dict(DEFAULTS), encoder().encode)
    rows = predict_proba(model, vectorizers, encoder().encode(texts), texts, dict(DEFAULTS))
    flags = []
    for text, row in zip(texts, rows):
        ranking = [str(model.classes_[i]) for i in np.argsort(row)[::-1]]
        intent = safer_intent(text, ranking) or ranking[0]
        flags.append(frozenset(CATEGORIES) if intent == "crisis" else frozenset())
    return flags


def tfidf_flags(train: list[Example]) -> Flags:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_predict
    from sklearn.pipeline import make_pipeline, make_union

    def pipeline():
        return make_pipeline(make_union(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                                        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)),
                             LogisticRegression(max_iter=3000, class_weight="balanced"))

    texts, y = [e.text for e in train], np.array([e.risk for e in train])
    out_of_fold = cross_val_predict(pipeline(), texts, y, cv=5, method="predict_proba")[:, 1]
    # The same rule as the classifier's: the threshold that keeps 99.5% of the training risk in cross-validation.
    threshold = float(np.quantile(out_of_fold[y], 0.005))
    fitted = pipeline().fit(texts, y)

    def flags(batch: list[str]) -> list[frozenset]:
        return [frozenset(CATEGORIES) if p >= threshold else frozenset() for p in fitted.predict_proba(batch)[:, 1]]

    return flags


def score(examples: list[Example], flagged: list[frozenset]) -> dict:
    risk = [(e, f) for e, f in zip(examples, flagged) if e.risk]
    benign = [f for e, f in zip(examples, flagged) if not e.risk]
    per = {}
    for category in CATEGORIES:
        members = [(e, f) for e, f in risk if category in e.categories]
        per[category] = (sum(bool(f) for _, f in members) / len(members) if members else float("nan"),
                         sum(category in f for _, f in members) / len(members) if members else float("nan"))
    return {"recall": sum(bool(f) for _, f in risk) / len(risk), "specificity": sum(not f for f in benign) / len(benign),
            "per": per, "missed": [e for e, f in risk if not f],
            "false_alarms": [e for e, f in zip(examples, flagged) if not e.risk and f]}


def timings(texts: list[str]) -> tuple[float, float]:
    """Median ms per message: from the raw text; and with its embedding made already."""
    from knowledge import embedding as sentence_encoder
    from nlu.safeguarding.classifier import assess, model

    loaded = model()
    assess("warm up")
    raw, shared = [], []
    for text in texts:
        sentence_encoder._recent.clear()
        start = time.perf_counter()
        assess(text)
        raw.append((time.perf_counter() - start) * 1000)
        vector = sentence_encoder.encode_shared([text])
        start = time.perf_counter()
        loaded.decide(loaded.scores(vector, [text])[0])
        shared.append((time.perf_counter() - start) * 1000)
    return report.median(raw), report.median(shared)


def main() -> None:
    train = training_examples()
    examples = held_out_examples()
    texts = [e.text for e in examples]
    assessed = classifier_assessments(texts)
    results = {"Safeguarding classifier: any routes (the full reply, or the lines first when unsure)":
               score(examples, [a.categories for a in assessed]),
               "Safeguarding classifier: the full reply and the queue (sure)":
               score(examples, [a.categories if a.sure else frozenset() for a in assessed]),
               "Today's lexicon + `crisis` intent": score(examples, old_flags(texts)),
               "TF-IDF + logistic regression": score(examples, tfidf_flags(train)(texts))}
    raw_ms, shared_ms = timings(texts)
    risk_n = sum(e.risk for e in examples)
    lines = [f"Trained on `nlu/safeguarding/data/` and the intent data's ordinary traffic ({sum(e.risk for e in train)} "
             f"risk, {sum(not e.risk for e in train)} benign); scored on the held-out `tests/safeguarding/` "
             f"({risk_n} risk, {len(examples) - risk_n} benign), all in this run.\n",
             "| | recall | benign specificity | " + " | ".join(c.value for c in CATEGORIES) + " |",
             "|---|---|---|" + "---|" * len(CATEGORIES)]
    for name, r in results.items():
        lines.append(f"| {name} | {r['recall']:.3f} | {r['specificity']:.3f} | "
                     + " | ".join(f"{r['per'][c][0]:.3f}" for c in CATEGORIES) + " |")
    ours = results["Safeguarding classifier: any routes (the full reply, or the lines first when unsure)"]
    lines.append("\nCategory named (of the held-out messages in each category, the share whose reply carries that "
                 "category's routes), classifier: " + ", ".join(f"{c.value} {ours['per'][c][1]:.3f}" for c in CATEGORIES))
    lines.append(f"\nTime per message (median, one at a time): {raw_ms:.1f} ms from the raw text, sentence embedding "
                 f"included; {shared_ms:.2f} ms with the embedding the intent model shares. Target: under 5 ms.")
    lines.append("\nTargets: recall 1.0 " + ("met" if ours["recall"] == 1.0 else "NOT met")
                 + f"; specificity >= 0.97 " + ("met" if ours["specificity"] >= 0.97 else "NOT met")
                 + "; under 5 ms " + ("met" if raw_ms < 5 else f"met only with the shared embedding ({shared_ms:.2f} ms)"
                                       if shared_ms < 5 else "NOT met") + ".")
    lines.append(f"\nMissed by the classifier ({len(ours['missed'])}):")
    lines += [f"- {sorted(c.value for c in e.categories)} {e.text}" for e in ours["missed"]] or ["- none"]
    lines.append(f"\nFalse alarms of the classifier ({len(ours['false_alarms'])}):")
    lines += [f"- {e.text}" for e in ours["false_alarms"]] or ["- none"]
    report.write("safeguarding", "Safeguarding benchmark", "\n".join(lines))


if __name__ == "__main__":
    main()
