"""The safeguarding classifier's examples: training data in ``nlu/safeguarding/data/`` (one file per category,
and the benign look-alikes), and the held-out sets in ``tests/safeguarding/`` that it never trains on.

A training file names its ``category`` (or ``benign``); each example is a string, or ``{text, also: [...]}``
when other categories apply too. Ordinary traffic comes from the intent model's own training data too (``nlu/data/``): every intent but those
whose examples may disclose risk. A held-out risk file lists ``{text, categories: [...]}``; a held-out benign
file lists strings.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

import yaml

from nlu.safeguarding.categories import Category

PROJECT = Path(__file__).resolve().parent.parent.parent
TRAINING_DIR = Path(__file__).resolve().parent / "data"
HELD_OUT_DIR = PROJECT / "tests" / "safeguarding"
BENIGN = "benign"


@dataclass(frozen=True)
class Example:
    text: str
    categories: frozenset[Category]  # empty: benign
    weight: float = 1.0  # how much it counts in training
    from_intents: bool = False  # ordinary traffic from the intent data, not a hard look-alike

    @property
    def risk(self) -> bool:
        return bool(self.categories)


def normalised(text: str) -> str:
    """Lower case, letters and digits only, single spaces: how duplicates and leaks are compared."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower().replace("\u2019", "'").replace("'", "")).split())


def _training_file(path: Path) -> list[Example]:
    data = yaml.safe_load(path.read_text())
    kind = data["category"]
    own = frozenset() if kind == BENIGN else frozenset({Category(kind)})
    found = []
    for entry in data["examples"]:
        if isinstance(entry, str):
            found.append(Example(entry.strip(), own))
        else:
            also = frozenset(Category(c) for c in entry.get("also") or [])
            found.append(Example(str(entry["text"]).strip(), own | also))
    return found


def merge(examples: Iterable[Example]) -> list[Example]:
    """One example per normalised text, with the union of its categories: the same words written in two
    category files mean both; a risk label wins over a benign copy."""
    merged: dict[str, Example] = {}
    for example in examples:
        key = normalised(example.text)
        if not key:
            continue
        seen = merged.get(key)
        merged[key] = example if seen is None else Example(seen.text, seen.categories | example.categories,
                                                           max(seen.weight, example.weight),
                                                           seen.from_intents and example.from_intents)
    return list(merged.values())


INTENT_DATA_DIR = PROJECT / "nlu" / "data"
#: intents whose examples may disclose risk ("i need to get away from him"): not taken as benign
NOT_BENIGN_INTENTS = {"crisis", "need_domestic_abuse", "need_safeguarding", "need_crime_exploitation",
                      "need_mental_health", "need_housing"}
#: chosen by cross-validation (``nlu/safeguarding/train.py``)
INTENT_WEIGHT = 1.0
_ANNOTATION = re.compile(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}")


def intent_examples(folder: Path = INTENT_DATA_DIR, weight: float = 1.0) -> list[Example]:
    """The intent model's examples of ordinary traffic, without their entity marks, as benign."""
    found = []
    for path in sorted(folder.glob("*.yml")):
        for block in yaml.safe_load(path.read_text()).get("nlu") or []:
            if "intent" not in block or block["intent"] in NOT_BENIGN_INTENTS:
                continue
            for line in str(block.get("examples") or "").splitlines():
                text = _ANNOTATION.sub(lambda m: m.group(1) or m.group(2) or "", line.strip().removeprefix("- "))
                if text.strip():
                    found.append(Example(text.strip(), frozenset(), weight, from_intents=True))
    return found


def training_examples(folder: Path = TRAINING_DIR, intent_folder: Optional[Path] = INTENT_DATA_DIR,
                      intent_weight: float = INTENT_WEIGHT) -> list[Example]:
    own = [e for path in sorted(folder.glob("*.yml")) for e in _training_file(path)]
    return merge(own + (intent_examples(intent_folder, intent_weight) if intent_folder and intent_weight else []))


def held_out_examples(folder: Path = HELD_OUT_DIR) -> list[Example]:
    found: list[Example] = []
    risk = yaml.safe_load((folder / "heldout_risk.yml").read_text())
    for entry in risk["examples"]:
        found.append(Example(str(entry["text"]).strip(), frozenset(Category(c) for c in entry["categories"])))
    benign = yaml.safe_load((folder / "heldout_benign.yml").read_text())
    found += [Example(str(text).strip(), frozenset()) for text in benign["examples"]]
    return found
