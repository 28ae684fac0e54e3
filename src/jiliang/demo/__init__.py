"""The demo city: a realistic fictional city, deterministic for a seed."""
