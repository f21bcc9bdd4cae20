"""SQL migrations of the scoring schema, applied in order at start."""
