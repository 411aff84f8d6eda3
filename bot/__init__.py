"""Where conversations arrive and how they flow: channels, dialogue, handoff, server start-up."""
from core.log_privacy import install as _keep_personal_data_out_of_logs

# Every process passes here before it serves: Rasa imports bot.* for the channels (credentials.yml) and the
# tracker store (endpoints.yml), the action server through bot.handoff, and the signpost command.
_keep_personal_data_out_of_logs()
