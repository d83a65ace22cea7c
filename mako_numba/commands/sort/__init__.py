"""SORT and SORT_RO (Redis's sort.c), on the slow path (family.py, slow.py)."""
