"""The list family: Redis's t_list.c (family.py, kernels.py, entry.py)."""
