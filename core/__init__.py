"""What every layer stands on: the settings, read once, and the one database every table lives in."""
