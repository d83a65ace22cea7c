"""The string family (Redis's t_string.c): kernels, ranges, the slow-path commands, LCS."""
