"""Where conversations arrive and how they flow: channels, dialogue, handoff, server start-up."""
