"""A Rasa NLU component that puts safety first, with the same safeguarding classifier the inbox runs
(``nlu.safeguarding.classifier``): a message it is sure shows risk is always ``crisis``, with the kinds of risk
as ``safeguarding`` in the parse; a ``crisis`` from the intent model that it is not sure of ("suicide awareness
course", "I'd kill for a lie-in") falls back to the next intent (the inbox has put the lines that fit first).

It runs after the intent classifier and the fallback classifier, so it also rescues a risk message the intent
model was unsure about. The inbox answers risk before Rasa sees a message; this is for anything that reaches
Rasa another way.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu.safeguarding.classifier import assess

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
        found = assess(text)
        current = (intent or {}).get(INTENT_NAME_KEY)
        if found.risk and found.sure:
            message.set(INTENT, {INTENT_NAME_KEY: CRISIS, PREDICTED_CONFIDENCE_KEY: 1.0}, add_to_output=True)
            message.set("safeguarding", [c.value for c in found.ordered()], add_to_output=True)
            return
        if current != CRISIS:
            return
        ranking = message.get(INTENT_RANKING_KEY) or []
        following = next((r for r in ranking if r.get(INTENT_NAME_KEY) not in (CRISIS, None)), None)
        if following is not None:
            message.set(INTENT, {INTENT_NAME_KEY: following[INTENT_NAME_KEY],
                                 PREDICTED_CONFIDENCE_KEY: following[PREDICTED_CONFIDENCE_KEY]}, add_to_output=True)
        else:
            message.set(INTENT, {INTENT_NAME_KEY: "nlu_fallback", PREDICTED_CONFIDENCE_KEY: 1.0}, add_to_output=True)
