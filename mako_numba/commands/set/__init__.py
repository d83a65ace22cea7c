"""The set family (Redis's t_set.c)."""
