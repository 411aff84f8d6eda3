"""Rasa's own checks: the training data validates cleanly, and the test stories (every flow: follow-ups,
nothing found, fallbacks, the crisis reply) pass against the trained model."""
import os
import subprocess
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
RASA = str(PROJECT / ".venv" / "bin" / "rasa")
ENV = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}


def test_rasa_data_validate_is_clean():
    done = subprocess.run([RASA, "data", "validate", "--data", "nlu/data", "bot/dialogue", "--domain", "domain.yml",
                           "--fail-on-warnings"], cwd=PROJECT, env=ENV, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def test_rasa_test_stories_pass(tmp_path):
    model = PROJECT / "models" / "signpost.tar.gz"
    if not model.exists():
        pytest.fail("no trained model: `make test` trains it first (scripts/train.sh)")
    done = subprocess.run([RASA, "test", "core", "--stories", "tests/stories", "--model", str(model),
                           "--out", str(tmp_path), "--fail-on-prediction-errors"],
                          cwd=PROJECT, env=ENV, capture_output=True, text=True, timeout=900)
    failed = (tmp_path / "failed_test_stories.yml")
    detail = failed.read_text() if failed.exists() else ""
    assert done.returncode == 0, detail[-4000:] + done.stdout[-2000:] + done.stderr[-2000:]


def test_the_endpoints_make_run_uses_are_usable():
    """`make run` reads endpoints.yml as it is: the action server's address must be a real URL."""
    from rasa.core.utils import AvailableEndpoints

    endpoints = AvailableEndpoints.read_endpoints(str(PROJECT / "endpoints.yml"))
    assert endpoints.action.url == "http://127.0.0.1:5055/webhook"
    assert endpoints.tracker_store.type == "bot.tracker_store.CachedSQLTrackerStore"
