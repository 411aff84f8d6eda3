"""The layers point one way (actions -> bot -> nlu -> knowledge -> core), the assistant's actions reach
``bot`` only through ``bot.handoff``, and nothing creates a table while serving: the migrations do."""
from __future__ import annotations

import ast
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
LAYERS = ["core", "knowledge", "nlu", "bot", "actions"]  # each may import only those before it


def imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


def modules(layer: str) -> list[Path]:
    return sorted((PROJECT / layer).rglob("*.py"))


def test_no_layer_imports_one_above_it():
    upward = []
    for rank, layer in enumerate(LAYERS):
        above = set(LAYERS[rank + 1:])
        for path in modules(layer):
            upward += [f"{path.relative_to(PROJECT)} imports {name}" for name in imports(path)
                       if name.split(".")[0] in above]
    assert upward == []


def test_the_actions_reach_bot_only_through_handoff():
    reached = {name for path in modules("actions") for name in imports(path) if name.split(".")[0] == "bot"}
    assert reached <= {"bot.handoff"}, reached


def test_nothing_creates_tables_outside_the_migrations():
    makers = [str(path.relative_to(PROJECT)) for layer in LAYERS for path in modules(layer)
              if "create_all(" in path.read_text()]
    assert makers == []


#: bot's own parts, lowest first: a part may import only those before it (the messages and their delivery sit
#: below handing over, which sits below the inbox, which the channels and the console stand on)
BOT_PARTS = ["bot.states", "bot.conversations", "bot.delivery", "bot.handoff", "bot.forgetting", "bot.leases",
             "bot.tracker_store", "bot.retention", "bot.inbox", "bot.allowance", "bot.web_guard", "bot.fanout", "bot.channels",
             "bot.console", "bot.tables", "bot.privacy_cli", "bot.cli"]


def part(module: str) -> str:
    return next(p for p in BOT_PARTS if module == p or module.startswith(p + "."))


def test_inside_bot_no_part_imports_one_above_it():
    upward = []
    for path in modules("bot"):
        name = ".".join(path.relative_to(PROJECT).with_suffix("").parts).removesuffix(".__init__")
        if name == "bot":
            continue
        rank = BOT_PARTS.index(part(name))
        upward += [f"{name} imports {imported}" for imported in imports(path)
                   if imported.startswith("bot.") and BOT_PARTS.index(part(imported)) > rank]
    assert upward == []
