"""NLU benchmark, side by side in one run on the same data: this pipeline, stock Rasa's `rasa init`
configuration, and a TF-IDF + logistic regression baseline. All three train on `nlu/data/` and are
scored on the held-out messages in `tests/nlu/` that none of them saw.

Figures: intent macro-F1 (the held-out intents, excluding the out-of-scope set), place and postcode
entity F1 (exact spans), out-of-scope rejection (share of the out-of-scope set answered
`out_of_scope` or `nlu_fallback`), the not-a-crisis set (idioms never classed `crisis`), and crisis
recall. Targets (issue 3): intent macro-F1 >= 0.95, place/postcode F1 >= 0.95, rejection >= 0.90,
and better than both baselines.
"""
from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Optional

from bench import report

PROJECT = Path(__file__).resolve().parent.parent
TRAIN = [PROJECT / "nlu" / "data"]
HELD_OUT = PROJECT / "tests" / "nlu"
OUT_OF_SCOPE_FILE = "out_of_scope.yml"
NOT_CRISIS_FILE = "not_crisis.yml"
REJECT = {"out_of_scope", "nlu_fallback"}

# Stock Rasa 3.6 `rasa init` pipeline, as it writes it into config.yml.
STOCK_CONFIG = """recipe: default.v1
language: en
assistant_id: stock
pipeline:
  - name: WhitespaceTokenizer
  - name: RegexFeaturizer
  - name: LexicalSyntacticFeaturizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 4
  - name: DIETClassifier
    epochs: 100
    constrain_similarities: true
  - name: EntitySynonymMapper
  - name: ResponseSelector
    epochs: 100
    constrain_similarities: true
  - name: FallbackClassifier
    threshold: 0.3
    ambiguity_threshold: 0.1
policies:
  - name: MemoizationPolicy
  - name: RulePolicy
"""

Example = dict[str, Any]  # {"text", "intent", "entities": [{"entity", "start", "end", "value"}]}


def load_examples(path: Path) -> list[Example]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [{"text": m.get("text"), "intent": m.get("intent"), "entities": m.get("entities") or []}
            for m in data.intent_examples]


def held_out() -> dict[str, list[Example]]:
    return {p.name: load_examples(p) for p in sorted(HELD_OUT.glob("*.yml"))}


def train_rasa_nlu(config: Path, out: Path, name: str) -> tuple[Path, float]:
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "RASA_MAX_CACHE_SIZE": "0"}  # no training cache: real times
    start = time.perf_counter()
    subprocess.run([str(PROJECT / ".venv" / "bin" / "rasa"), "train", "nlu", "--nlu", *map(str, TRAIN),
                    "--config", str(config), "--out", str(out), "--fixed-model-name", name, "--quiet"],
                   cwd=PROJECT, env=env, check=True, stdout=subprocess.DEVNULL)
    return out / f"{name}.tar.gz", time.perf_counter() - start


def rasa_predictor(model: Path) -> Callable[[list[str]], list[tuple[str, list[dict]]]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))

    def predict(texts: list[str]) -> list[tuple[str, list[dict]]]:
        async def run() -> list[tuple[str, list[dict]]]:
            found = []
            for text in texts:
                parsed = await agent.parse_message(text)
                found.append((parsed["intent"]["name"], parsed.get("entities") or []))
            return found

        return asyncio.run(run())

    return predict


def tfidf_predictor(train: list[Example]) -> Callable[[list[str]], list[tuple[str, list[dict]]]]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    model = make_pipeline(
        make_union(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                   TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)),
        LogisticRegression(max_iter=2000, C=10))
    model.fit([e["text"] for e in train], [e["intent"] for e in train])

    def predict(texts: list[str]) -> list[tuple[str, list[dict]]]:
        return [(intent, []) for intent in model.predict(texts)]

    return predict


def macro_f1(gold: list[str], predicted: list[str]) -> float:
    """Mean F1 over the gold intents, scored exactly as ``nlu.cross_validate`` scores its folds."""
    from nlu.cross_validate import f1_per_intent

    scores = f1_per_intent(gold, predicted)
    return sum(scores.values()) / len(scores)


def entity_f1(gold: list[list[dict]], predicted: list[list[dict]], kinds: set[str]) -> float:
    def spans(entities: list[dict]) -> set[tuple]:
        return {(e["entity"], e["start"], e["end"]) for e in entities if e["entity"] in kinds}

    tp = fp = fn = 0
    for g, p in zip(gold, predicted):
        gs, ps = spans(g), spans(p)
        tp, fp, fn = tp + len(gs & ps), fp + len(ps - gs), fn + len(gs - ps)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def score(predict: Callable[[list[str]], list[tuple[str, list[dict]]]], sets: dict[str, list[Example]]) -> dict:
    in_scope = [e for name, examples in sets.items() if name not in (OUT_OF_SCOPE_FILE, NOT_CRISIS_FILE)
                for e in examples]
    predicted = predict([e["text"] for e in in_scope])
    gold_intents = [e["intent"] for e in in_scope]
    intents = [p[0] for p in predicted]
    oos = predict([e["text"] for e in sets.get(OUT_OF_SCOPE_FILE, [])])
    calm = predict([e["text"] for e in sets.get(NOT_CRISIS_FILE, [])])
    crisis_gold = [i for i, g in enumerate(gold_intents) if g == "crisis"]
    confusions = Counter((g, p) for g, p in zip(gold_intents, intents) if g != p)
    return {
        "intent_macro_f1": macro_f1(gold_intents, intents),
        "place_postcode_f1": entity_f1([e["entities"] for e in in_scope], [p[1] for p in predicted],
                                       {"place", "postcode"}),
        "oos_rejection": sum(1 for p in oos if p[0] in REJECT) / max(1, len(oos)),
        "idioms_not_crisis": sum(1 for p in calm if p[0] != "crisis") / max(1, len(calm)),
        "crisis_recall": sum(1 for i in crisis_gold if intents[i] == "crisis") / max(1, len(crisis_gold)),
        "examples": len(in_scope),
        "oos_examples": len(oos),
        "top_confusions": confusions.most_common(8),
    }


def main() -> None:
    sets = held_out()
    train_examples = [e for path in TRAIN for f in sorted(path.glob("*.yml")) for e in load_examples(f)]
    subprocess.run([str(PROJECT / ".venv" / "bin" / "python"), "-m", "nlu.gazetteer"], cwd=PROJECT, check=True,
                   stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        stock_config = tmpdir / "stock-config.yml"
        stock_config.write_text(STOCK_CONFIG)
        ours_model, ours_seconds = train_rasa_nlu(PROJECT / "config.yml", tmpdir, "ours")
        stock_model, stock_seconds = train_rasa_nlu(stock_config, tmpdir, "stock")
        results = {
            "Signpost pipeline": score(rasa_predictor(ours_model), sets),
            "Stock `rasa init` pipeline": score(rasa_predictor(stock_model), sets),
            "TF-IDF + logistic regression": score(tfidf_predictor(train_examples), sets),
        }
    rows = []
    for name, r in results.items():
        entity = f"{r['place_postcode_f1']:.3f}" if "TF-IDF" not in name else "- (no entities)"
        rows.append(f"| {name} | {r['intent_macro_f1']:.3f} | {entity} | {r['oos_rejection']:.3f} | "
                    f"{r['crisis_recall']:.3f} | {r['idioms_not_crisis']:.3f} |")
    ours = results["Signpost pipeline"]
    body = (
        f"Trained on `nlu/data/` ({len(train_examples)} examples); scored on the held-out `tests/nlu/` "
        f"({ours['examples']} in-scope messages, {ours['oos_examples']} out-of-scope messages), all in this run.\n\n"
        "| pipeline | intent macro-F1 | place+postcode entity F1 | out-of-scope rejection | crisis recall | "
        "idioms not crisis |\n|---|---|---|---|---|---|\n" + "\n".join(rows) +
        f"\n\nNLU training time: Signpost {ours_seconds:.0f} s, stock {stock_seconds:.0f} s.\n\n"
        "Most frequent confusions (gold -> predicted) for the Signpost pipeline: "
        + ", ".join(f"{g} -> {p} ({n})" for (g, p), n in ours["top_confusions"]) + "\n"
    )
    report.write("nlu", "NLU: intents, entities and out-of-scope rejection, side by side", body)


if __name__ == "__main__":
    main()
