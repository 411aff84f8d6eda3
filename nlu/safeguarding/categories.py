"""The kinds of risk the safeguarding classifier recognises: one definition, used by the classifier, its data,
the routes each kind gets (``bot/handoff/routes.py``) and the advisors' queue."""
from __future__ import annotations

from enum import Enum


class Category(str, Enum):
    """A kind of risk. The value is the id used in the data files and stored with a handoff."""

    SUICIDE_SELF_HARM = "suicide_self_harm"
    DOMESTIC_ABUSE = "domestic_abuse"
    SEXUAL_VIOLENCE = "sexual_violence"
    CHILD_AT_RISK = "child_at_risk"
    CHILD_EXPLOITATION = "child_exploitation"
    MODERN_SLAVERY = "modern_slavery"
    ADULT_AT_RISK = "adult_at_risk"
    NOWHERE_TO_SLEEP = "nowhere_to_sleep"
    IMMEDIATE_DANGER = "immediate_danger"

    @property
    def label(self) -> str:
        """How an advisor reads it in the queue."""
        return LABELS[self]


LABELS = {
    Category.SUICIDE_SELF_HARM: "suicide or self-harm",
    Category.DOMESTIC_ABUSE: "domestic abuse",
    Category.SEXUAL_VIOLENCE: "sexual violence",
    Category.CHILD_AT_RISK: "a child at risk",
    Category.CHILD_EXPLOITATION: "child exploitation or grooming",
    Category.MODERN_SLAVERY: "modern slavery or trafficking",
    Category.ADULT_AT_RISK: "abuse or neglect of an older or disabled adult",
    Category.NOWHERE_TO_SLEEP: "nowhere safe to sleep tonight",
    Category.IMMEDIATE_DANGER: "immediate danger from someone",
}
CATEGORIES: tuple[Category, ...] = tuple(Category)
