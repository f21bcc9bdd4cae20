"""Auth service: users, passwords, JWT signing keys, refresh tokens, API keys, password reset."""
