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

from nlu.safety import CRISIS, safer_intent


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
        ranking = message.get(INTENT_RANKING_KEY) or []
        current = (intent or {}).get(INTENT_NAME_KEY)
        names = [current] + [r.get(INTENT_NAME_KEY) for r in ranking if r.get(INTENT_NAME_KEY) != current]
        safer = safer_intent(text, names)
        if safer is None:
            return
        confidence = 1.0 if safer == CRISIS else next(
            (r[PREDICTED_CONFIDENCE_KEY] for r in ranking if r.get(INTENT_NAME_KEY) == safer), 0.0)
        message.set(INTENT, {INTENT_NAME_KEY: safer, PREDICTED_CONFIDENCE_KEY: confidence}, add_to_output=True)
