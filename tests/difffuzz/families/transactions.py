"""The transaction family: MULTI/EXEC/DISCARD/WATCH/UNWATCH as single commands.

Whole transaction scenarios (WATCH on one connection, writes and flushes on
the other, then MULTI ... EXEC) are built by generator.transaction().
"""
COMMANDS = {
    b"MULTI": lambda at: [] if at.chance(0.95) else [at.junk()],
    b"EXEC": lambda at: [] if at.chance(0.95) else [at.junk()],
    b"DISCARD": lambda at: [] if at.chance(0.95) else [at.junk()],
    b"WATCH": lambda at: at.keys(),
    b"UNWATCH": lambda at: [] if at.chance(0.95) else [at.junk()],
}
WEIGHT = 8
