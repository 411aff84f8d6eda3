"""What the assistant does: custom actions (rasa-sdk) that search the knowledge base, answer follow-ups,
put safety first and start a handoff. One module per capability; run with `rasa run actions`."""
import sys

from core.log_privacy import install as _keep_personal_data_out_of_logs

# The action server needs spaCy's lemmatiser, not TensorFlow; thinc would import it (slowly) if allowed.
sys.modules.setdefault("tensorflow", None)  # type: ignore[arg-type]
# The action server logs what its actions raise; this runs before any action module is imported.
_keep_personal_data_out_of_logs()
