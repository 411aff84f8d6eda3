"""What residents say: training data, the spaCy gazetteer and parsers for times and ages."""
