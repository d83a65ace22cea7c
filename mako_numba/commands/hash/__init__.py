"""The hash family (Redis's t_hash.c)."""
