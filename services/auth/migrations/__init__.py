"""SQL migrations of the auth schema, applied in order by services.kit.db.open_pool."""
