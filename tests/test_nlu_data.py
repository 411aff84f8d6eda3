"""The training data and the held-out set: enough examples, every need has an intent, and nothing
held out was ever trained on."""
import re
from collections import Counter
from pathlib import Path

import yaml

from knowledge.vocabulary import need_ids

PROJECT = Path(__file__).resolve().parent.parent
ANNOTATION = re.compile(r"\[([^\]]+)\]\([a-z_]+\)")


def examples(folder: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(folder.glob("*.yml")):
        for item in yaml.safe_load(path.read_text())["nlu"]:
            lines = [line.strip()[2:] for line in item["examples"].splitlines() if line.strip().startswith("- ")]
            found.setdefault(item["intent"], []).extend(lines)
    return found


def plain(text: str) -> str:
    return re.sub(r"[^a-z0-9 ]", "", ANNOTATION.sub(r"\1", text).lower()).split().__str__()


TRAIN = examples(PROJECT / "nlu" / "data")
HELD_OUT = examples(PROJECT / "tests" / "nlu")
DOMAIN = yaml.safe_load((PROJECT / "domain.yml").read_text())


def test_every_intent_has_25_training_and_10_held_out_examples():
    for intent in DOMAIN["intents"]:
        assert len(TRAIN.get(intent, [])) >= 25, intent
        assert len(HELD_OUT.get(intent, [])) >= 10, intent


def test_there_is_an_intent_for_every_need():
    assert {f"need_{n}" for n in need_ids()} <= set(DOMAIN["intents"])
    assert set(TRAIN) == set(DOMAIN["intents"])


def test_the_out_of_scope_set_has_300_messages():
    assert len(HELD_OUT["out_of_scope"]) >= 300


def test_nothing_held_out_was_trained_on():
    trained = {plain(line) for lines in TRAIN.values() for line in lines}
    leaked = [line for lines in HELD_OUT.values() for line in lines if plain(line) in trained]
    assert leaked == []


def test_no_training_example_is_repeated():
    counts = Counter(plain(line) for lines in TRAIN.values() for line in lines)
    assert [text for text, n in counts.items() if n > 1] == []
