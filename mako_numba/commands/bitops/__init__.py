"""The bit family (Redis's bitops.c): SETBIT, GETBIT, BITCOUNT, as kernels."""
