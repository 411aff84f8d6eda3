"""How results read on a phone: one line saying what was found, then each service as a short card (name,
where and how far, next time, cost, how to get it, one contact), and buttons for what next."""
from __future__ import annotations

import json
from typing import Any, Optional

from knowledge.models import Area
from knowledge.national import lines_for
from knowledge.search import SearchResult, ServiceResult

Button = dict[str, str]
#: On each card whose venue or times came from a data pack rather than the council's checked directory.
ILLUSTRATIVE_NOTE = "Venue and times are examples: check with them before you go."


def service_lines(n: int, item: ServiceResult) -> str:
    lines = [f"{n}. {item.name}"]
    if item.venue:
        where = item.venue.name + (f", {item.venue.town}" if item.venue.town and item.venue.town not in item.venue.name else "")
        distance = f" ({item.distance_miles:g} miles)" if item.distance_miles is not None else ""
        lines.append(f"   {where}{distance}")
    elif item.coverage:
        lines.append(f"   {item.coverage}")
    if item.next_sessions:
        lines.append(f"   Next: {item.next_sessions[0]}")
    lines.append(f"   {item.cost.rstrip('.')}. {item.how_to_get_it}.")
    contact = item.phone or item.web or item.email
    if contact:
        lines.append(f"   {contact}")
    if item.illustrative:
        lines.append(f"   {ILLUSTRATIVE_NOTE}")
    return "\n".join(lines)


#: Needs where a resident may need help today whatever the directory holds: its national line comes too.
URGENT_NEEDS = ("food", "housing")


def results_message(result: SearchResult, offset: int = 0) -> str:
    intro = "Here's what I found" if offset == 0 else "Here are some more"
    body = "\n\n".join(service_lines(offset + i + 1, item) for i, item in enumerate(result.results))
    text = f"{intro}: {result.searched}.\n\n{body}"
    if offset == 0 and result.need in URGENT_NEEDS:
        lines = lines_for([result.need], most=1)
        if lines:
            text += f"\n\nIf you need help today: {lines[0].sentence()}"
    return text


def results_buttons(result: SearchResult) -> list[Button]:
    buttons: list[Button] = []
    if result.more:
        buttons.append({"title": "Show me more", "payload": "/more_results"})
    if not result.free_only and any(not r.is_free for r in result.results):
        buttons.append({"title": "Only free ones", "payload": "/ask_free"})
    buttons.append({"title": "Phone numbers", "payload": "/ask_contact"})
    buttons.append({"title": "Talk to a person", "payload": "/human_handoff"})
    return buttons


def locality_buttons(area: Optional[Area]) -> list[Button]:
    if area is None:
        return []
    return [{"title": name, "payload": "/inform_place" + json.dumps({"place": f"{name} {area.name}"})}
            for name in area.localities]


def as_dict(message: str, buttons: Optional[list[Button]] = None) -> dict[str, Any]:
    return {"text": message, "buttons": buttons or []}
