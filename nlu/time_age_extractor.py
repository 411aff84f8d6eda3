"""A Rasa entity extractor for times and ages, by rule: the words ``knowledge.when`` and ``nlu.ages``
understand ("2moro", "saturday", "after school", "my 2 year old", "teenager") are found exactly, every
time, without training. Where it finds a time or an age, it replaces what the statistical extractor
guessed for that entity; elsewhere the statistical guess stands.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu.entity_rules import find


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class TimeAgeExtractor(GraphComponent, EntityExtractorMixin):
    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "TimeAgeExtractor":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text or text.startswith("/"):
                continue
            ours = self.add_extractor_name(find(text))
            replaced = {e["entity"] for e in ours}
            kept = [e for e in message.get(ENTITIES, []) if e.get("entity") not in replaced]
            message.set(ENTITIES, kept + ours, add_to_output=True)
        return messages
