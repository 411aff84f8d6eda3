"""Settings are declared once (core/settings.py): every one is documented in the README's table, read only
there, and a wrong value stops the start with a message that names it."""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from core.settings import SETTINGS, Settings, SettingsError, load, markdown_table

PROJECT = Path(__file__).resolve().parent.parent
SOURCE = [p for folder in ("actions", "bot", "core", "knowledge", "nlu") for p in (PROJECT / folder).rglob("*.py")]


def test_every_setting_is_declared_once_and_documented_in_the_readme():
    assert sorted(f.name for f in fields(Settings)) == sorted(s.field for s in SETTINGS)
    assert len({s.name for s in SETTINGS}) == len(SETTINGS)
    readme = (PROJECT / "README.md").read_text()
    table = re.search(r"<!-- settings[^>]*-->\n(.*?)\n<!-- /settings -->", readme, re.S)
    assert table and table.group(1) == markdown_table(), "regenerate it: .venv/bin/python -m core.settings"


def test_no_module_but_the_settings_reads_the_environment_for_them():
    readers = []
    for path in SOURCE:
        if path == PROJECT / "core" / "settings.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv") and \
                    isinstance(node.value, ast.Name) and node.value.id == "os":
                readers.append(str(path.relative_to(PROJECT)))
    assert readers == []


def test_defaults_load_and_a_wrong_value_is_named():
    defaults = load({})
    assert defaults.max_message_chars == 1000 and defaults.telegram_mode == "polling" and defaults.now is None
    assert defaults.database_url.startswith("sqlite:///")
    for name, value in (("SIGNPOST_MAX_MESSAGE_CHARS", "lots"), ("SIGNPOST_ADVISOR_AWAY_SECONDS", "-1"),
                        ("TELEGRAM_MODE", "carrier-pigeon"), ("SIGNPOST_NOW", "tuesday"),
                        ("SIGNPOST_NOW", "2026-05-09T10:00:00")):
        with pytest.raises(SettingsError, match=name):
            load({name: value})


def test_the_cli_refuses_a_wrong_setting_with_its_name():
    done = subprocess.run([sys.executable, "-m", "bot.cli", "kb", "stats"], cwd=PROJECT, capture_output=True,
                          text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "SIGNPOST_MAX_MESSAGES_PER_MINUTE": "0"})
    assert done.returncode == 2 and "SIGNPOST_MAX_MESSAGES_PER_MINUTE" in done.stderr
