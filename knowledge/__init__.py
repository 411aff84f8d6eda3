"""What the assistant knows: the council's service directory, its geography, and search over both."""
