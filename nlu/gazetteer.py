"""The spaCy gazetteer: a blank English pipeline whose EntityRuler knows the council's own places.

Built from the knowledge base when the model is trained (``python -m nlu.gazetteer``): every town,
alias, locality, area and postcode district in the geography, every venue in the directory, and the
shape of full UK postcodes. Rasa's ``SpacyNLP`` loads it from ``nlu/build/gazetteer`` and
``SpacyEntityExtractor`` returns ``place`` and ``postcode`` entities, so a new venue needs no new
training examples. No download: spaCy's lookup lemmas come from the installed spacy-lookups-data.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Optional

from sqlalchemy import select

from core.database import make_engine
from knowledge.geography.places import geographies
from knowledge.models import Location

BUILD_DIR = Path(__file__).resolve().parent / "build" / "gazetteer"
# A whole postcode written as one token ("l203nj") or two ("L20 3NJ"); inward letters never C I K M O V.
_OUTWARD = r"(?i)^[a-pr-uwyz][a-hk-y]?\d[a-z\d]?$"
_INWARD = r"(?i)^\d[abd-hjlnp-uw-z]{2}$"
_WHOLE = r"(?i)^[a-pr-uwyz][a-hk-y]?\d[a-z\d]?\d[abd-hjlnp-uw-z]{2}$"


def _phrase(text: str) -> list[dict[str, Any]]:
    """A case-insensitive token pattern for a multi-word name."""
    import spacy

    tokenizer = spacy.blank("en").tokenizer
    return [{"LOWER": token.lower_} for token in tokenizer(text)]


def place_names(venues: Optional[list[str]] = None) -> list[str]:
    """Every name the gazetteer knows as a place, without repeats."""
    names: list[str] = []
    for area in geographies().values():
        names.append(area.area_id.capitalize())
        for locality, _ in area.localities:
            names.append(f"{locality} {area.area_id.capitalize()}")
        for town in area.towns:
            names.append(town.name)
            names.extend(town.aliases)
    names.extend(venues or [])
    return list(dict.fromkeys(n for n in names if n.strip()))


def patterns(venues: Optional[list[str]] = None) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = [{"label": "place", "pattern": _phrase(name)} for name in place_names(venues)]
    districts = sorted({d.code.lower() for area in geographies().values() for d in area.districts})
    found.append({"label": "postcode", "pattern": [{"TEXT": {"REGEX": _OUTWARD}}, {"TEXT": {"REGEX": _INWARD}}]})
    found.append({"label": "postcode", "pattern": [{"TEXT": {"REGEX": _WHOLE}}]})
    # A district on its own only when it is one we hold: "l20" is a place, "b2b" is not.
    found.append({"label": "postcode", "pattern": [{"LOWER": {"IN": districts}}]})
    return found


def venue_names(url: Optional[str] = None) -> list[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return sorted(set(conn.execute(select(Location.name)).scalars()))
    finally:
        engine.dispose()


def build(output: Path = BUILD_DIR, url: Optional[str] = None) -> Path:
    """Build the pipeline from the geography and the directory's venues, and save it."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": True})
    nlp.initialize()  # before the patterns: initialising a ruler empties it
    ruler.add_patterns(patterns(venue_names(url)))
    nlp.meta["name"] = "signpost_gazetteer"
    nlp.meta["description"] = "Blank English pipeline with the council's places as an EntityRuler gazetteer"
    output.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output)
    return output


if __name__ == "__main__":
    sys.modules.setdefault("tensorflow", None)  # type: ignore[arg-type]  # not needed to build it
    path = build()
    print(f"Gazetteer written to {path}")
