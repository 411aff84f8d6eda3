"""Handing a conversation to a human advisor: requests, their priority and what the bot learned."""
