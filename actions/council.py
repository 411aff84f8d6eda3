"""Council questions the assistant cannot answer (bins, council tax, parking): the council's own website,
from the area's record, rather than "I can't help"."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import conversation_area
from actions.knowledge_base import council_website, kb_session

WHAT_ELSE = [{"title": "What's on near me", "payload": "/whats_on"},
             {"title": "Talk to a person", "payload": "/human_handoff"}]


class ActionCouncilPages(Action):
    def name(self) -> str:
        return "action_council_pages"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        with kb_session() as session:
            area = conversation_area(session, tracker)
            web = council_website(session, area.id if area else None)
            council = area.council if area else "the council"
        where = f"{council}'s website has it: {web}" if web else f"{council}'s website has it"
        dispatcher.utter_message(
            text=f"I can't do that one here, but {where}. That's where to go for bins, council tax, parking and "
                 "other council jobs. I can find local services and groups for you, or put you in touch with a person.",
            buttons=WHAT_ELSE)
        return []
