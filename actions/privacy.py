"""Privacy in plain words: what is kept and why, with the notice; and erasure on request, asked once to
confirm. The erasure itself is done by the inbox (every channel goes through it), which holds the
conversation's messages and reaches Rasa's tracker store: the action only says the resident confirmed."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import conversation_area
from actions.knowledge_base import council_website, kb_session
from core.settings import settings

OFFER = "erase"
CONFIRM = ("Do you want me to erase our conversation? That's your messages, my replies and any request for a "
           "person. It can't be undone.")
KEPT = "Okay, I've kept it. What else can I help you find?"


def privacy_notice(tracker: Tracker) -> str:
    """Where the full notice is: SIGNPOST_PRIVACY_URL, or the council's website."""
    url = settings().privacy_url
    if url:
        return f"The full privacy notice is here: {url}"
    with kb_session() as session:
        area = conversation_area(session, tracker)
        web = council_website(session, area.id if area else None)
    return f"The council's privacy notice is on its website: {web}" if web else "Ask the council for its privacy notice."


class ActionPrivacy(Action):
    def name(self) -> str:
        return "action_privacy"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        dispatcher.utter_message(
            text="I keep your messages and my replies, so I can answer you and so a person can pick up if you ask "
                 f"for one. I don't ask for your name. They're kept for {settings().retention_days} days after your "
                 "last message, unless you ask me to erase them sooner: just say \"forget me\" at any time.\n\n"
                 f"{privacy_notice(tracker)}",
            buttons=[{"title": "Erase our chat", "payload": "/erase_data"}])
        return []


class ActionConfirmErase(Action):
    def name(self) -> str:
        return "action_confirm_erase"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        dispatcher.utter_message(text=CONFIRM, buttons=[{"title": "Yes, erase it", "payload": "/affirm"},
                                                        {"title": "No, keep it", "payload": "/deny"}])
        return [SlotSet("offered", OFFER)]


def answer_erase_offer(dispatcher: CollectingDispatcher, confirmed: bool) -> list[dict]:
    """Yes or no to "erase our conversation?"."""
    if confirmed:
        dispatcher.utter_message(response="utter_forget_request")  # the inbox erases it
    else:
        dispatcher.utter_message(text=KEPT)
    return [SlotSet("offered", None)]
