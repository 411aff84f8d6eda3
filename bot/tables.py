"""Every table Signpost has, by the module that declares it: importing this makes the one metadata
(``core.database.metadata``) whole, for the migrations and the tests that check them."""
from __future__ import annotations

import bot.console.models  # noqa: F401  (advisors' login sessions)
import bot.conversations  # noqa: F401  (conversations and messages)
import bot.handoff.models  # noqa: F401  (handoffs, advisors, call-backs)
import knowledge.models  # noqa: F401  (the directory)
from core.database import metadata

__all__ = ["metadata"]
