"""What the assistant does: custom actions (rasa-sdk) that search the knowledge base, answer follow-ups,
put safety first and start a handoff. One module per capability; run with `rasa run actions`."""
import sys

# The action server needs spaCy's lemmatiser, not TensorFlow; thinc would import it (slowly) if allowed.
sys.modules.setdefault("tensorflow", None)  # type: ignore[arg-type]
