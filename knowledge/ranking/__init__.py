"""Ranking services by relevance to what the resident wrote: the in-memory index and the scores."""
