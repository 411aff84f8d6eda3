"""What the assistant does when a message shows someone may be at risk: the routes for that kind of risk
first (``routes``), then an honest word about whether a person is coming (``reply``)."""
