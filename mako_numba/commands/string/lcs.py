"""LCS kernels: the dynamic-programming table and the walk back through it.

Redis's lcsCommand (t_string.c) step for step, so ties are broken the same
way and IDX lists the same ranges in the same order.  Python (stringcmds.py)
allocates every array; these kernels only fill them.
"""
import numpy as np

from mako_numba.base.jit import kernel


@kernel(entry=True)
def lcs_table(a, b, dp):
    """dp[i, j] = LCS length of a[:i] and b[:j]; dp is (len(a)+1) x (len(b)+1), zeroed."""
    for i in range(1, a.shape[0] + 1):
        ai = a[i - 1]
        for j in range(1, b.shape[0] + 1):
            if ai == b[j - 1]:
                dp[i, j] = dp[i - 1, j - 1] + 1
            else:
                x = dp[i - 1, j]
                y = dp[i, j - 1]
                dp[i, j] = x if x > y else y


@kernel(entry=True)
def lcs_walk(a, b, dp, minmatchlen, want_ranges, result, ranges):
    """Fill result (the LCS) and ranges rows (a_start, a_end, b_start, b_end, len).

    Returns the number of ranges kept (those of at least minmatchlen).
    """
    alen = a.shape[0]
    i = alen
    j = b.shape[0]
    idx = dp[i, j]
    a_start = alen          # alen: no range open
    a_end = 0
    b_start = 0
    b_end = 0
    nr = 0
    while i > 0 and j > 0:
        emit = False
        if a[i - 1] == b[j - 1]:
            result[idx - 1] = a[i - 1]
            if a_start == alen:
                a_start = i - 1
                a_end = i - 1
                b_start = j - 1
                b_end = j - 1
            elif a_start == i and b_start == j:
                a_start -= 1
                b_start -= 1
            else:
                emit = True
            if a_start == 0 or b_start == 0:
                emit = True
            idx -= 1
            i -= 1
            j -= 1
        else:
            if dp[i - 1, j] > dp[i, j - 1]:
                i -= 1
            else:
                j -= 1
            if a_start != alen:
                emit = True
        if emit:
            mlen = a_end - a_start + 1
            if want_ranges and (minmatchlen == 0 or mlen >= minmatchlen):
                ranges[nr, 0] = a_start
                ranges[nr, 1] = a_end
                ranges[nr, 2] = b_start
                ranges[nr, 3] = b_end
                ranges[nr, 4] = mlen
                nr += 1
            a_start = alen
    return nr


def empty_ranges(n):
    return np.zeros((n + 1, 5), np.int64)
