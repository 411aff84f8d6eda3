"""A Rasa NLU component that puts safety first: a clear statement of risk is always ``crisis``, and a
``crisis`` prediction made only of idioms ("dying to go swimming") falls back to the next intent.

It runs after the intent classifier and the fallback classifier, so it also rescues a risk message
the model was unsure about.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu.safety import only_idioms, shows_risk

CRISIS = "crisis"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SafetyNet(GraphComponent):
    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "SafetyNet":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._check(message)
        return messages

    def process_training_data(self, training_data: Any) -> Any:
        return training_data

    @staticmethod
    def _check(message: Message) -> None:
        text = message.get(TEXT) or ""
        intent: Optional[Dict[str, Any]] = message.get(INTENT)
        if not text or text.startswith("/"):
            return  # a button payload names its intent itself
        if shows_risk(text):
            message.set(INTENT, {INTENT_NAME_KEY: CRISIS, PREDICTED_CONFIDENCE_KEY: 1.0}, add_to_output=True)
            return
        if intent and intent.get(INTENT_NAME_KEY) == CRISIS and only_idioms(text):
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != CRISIS]
            if ranking:
                message.set(INTENT, {INTENT_NAME_KEY: ranking[0][INTENT_NAME_KEY],
                                     PREDICTED_CONFIDENCE_KEY: ranking[0][PREDICTED_CONFIDENCE_KEY]},
                            add_to_output=True)
