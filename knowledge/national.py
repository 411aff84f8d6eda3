"""National lines by need (``knowledge/data/national_lines.yaml``): what to offer when the council's
directory has nothing close, because these answer wherever a resident lives."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional

import yaml

LINES_FILE = Path(__file__).parent / "data" / "national_lines.yaml"


@dataclass(frozen=True)
class NationalLine:
    name: str
    what: str
    phone: Optional[str] = None
    web: Optional[str] = None
    hours: Optional[str] = None

    def sentence(self) -> str:
        """"StepChange (free debt advice): call 0800 138 1111, Monday to Friday 8am to 8pm." """
        if self.phone:
            how = f"call {self.phone}" + (f", {self.hours}" if self.hours else "")
            if self.web:
                how += f", or visit {self.web}"
        else:
            how = f"visit {self.web}"
        name = self.name[0].upper() + self.name[1:]
        return f"{name} ({self.what}): {how}."


@lru_cache(maxsize=1)
def _lines() -> dict[str, tuple[NationalLine, ...]]:
    data = yaml.safe_load(LINES_FILE.read_text(encoding="utf-8"))
    return {need: tuple(NationalLine(**line) for line in lines) for need, lines in (data["lines"] or {}).items()}


def lines_for(needs: Iterable[Optional[str]], most: int = 2) -> list[NationalLine]:
    """The national lines for the needs, strongest need first, each line once, at most ``most``."""
    found: list[NationalLine] = []
    for need in needs:
        for line in _lines().get(need or "", ()):
            if line not in found:
                found.append(line)
    return found[:most]
