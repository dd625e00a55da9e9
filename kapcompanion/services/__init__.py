"""Use cases that combine core rules with the vault (no Qt): the session runner."""
