"""The sorted-set family: Redis's t_zset.c (family.py, entry.py; kernels.py, ranges.py, multi.py,
random.py, scan.py, common.py)."""
