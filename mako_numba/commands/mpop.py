"""What LMPOP, BLMPOP, ZMPOP and BZMPOP check the same way: numkeys, the side, COUNT.

Redis's lmpopGenericCommand and zmpopGenericCommand read their arguments
alike: numkeys (at least 1, and not past the arguments), then LEFT|RIGHT or
MIN|MAX right after the keys, then an optional COUNT (at least 1) and
nothing else.  `mpop_args` is that check once; each family passes its two
words and its own error literals.
"""
from mako_numba.base.jit import kernel
from mako_numba.commands.respond import X_DONE, arg_int, arg_word, reply_lit, word
from mako_numba.protocol.errors import LIT_SYNTAX

W_COUNT = word("count")


@kernel
def mpop_args(R, args, a0, argc, ni, w_first, w_second, lit_numkeys, lit_count):
    """numkeys (argument ni), w_first|w_second (arg_word codes) and [COUNT count]:
    (ok, numkeys, the first word, count, status); the error is written when not ok."""
    conn, c, rl, lits = R
    ok, numkeys = arg_int(args, a0 + ni)
    if not ok or numkeys < 1:
        return False, 0, False, 0, reply_lit(conn, c, rl, lits, lit_numkeys)
    if numkeys >= argc or ni + 1 + numkeys >= argc:
        return False, 0, False, 0, reply_lit(conn, c, rl, lits, LIT_SYNTAX)
    wi = ni + 1 + numkeys
    w = arg_word(args, a0 + wi)
    if w != w_first and w != w_second:
        return False, 0, False, 0, reply_lit(conn, c, rl, lits, LIT_SYNTAX)
    count = -1
    j = wi + 1
    while j < argc:
        if count == -1 and arg_word(args, a0 + j) == W_COUNT and j + 1 < argc:
            j += 1
            ok, count = arg_int(args, a0 + j)
            if not ok or count < 1:
                return False, 0, False, 0, reply_lit(conn, c, rl, lits, lit_count)
        else:
            return False, 0, False, 0, reply_lit(conn, c, rl, lits, LIT_SYNTAX)
        j += 1
    return True, numkeys, w == w_first, 1 if count == -1 else count, X_DONE
