"""Where conversations arrive: Signpost's own Rasa input channels (Telegram, the web widget)."""
