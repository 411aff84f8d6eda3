"""Safeguarding: does a message show that someone may be at risk, and of what kind? A classifier of its own,
separate from the intent model, with its own data (``data/``), training (``train``) and measurements
(``bench/safeguarding_bench.py``); ``classifier.assess`` is what the inbox and Rasa's safety net call."""
