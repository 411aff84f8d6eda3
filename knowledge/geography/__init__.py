"""Where things are, offline: postcodes, towns, localities and distances for each area."""
