"""Versioned SQL migrations of the `coach` schema (applied by services.kit.db.open_pool)."""
