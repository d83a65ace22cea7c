"""Lua scripting: EVAL, EVALSHA and SCRIPT as Redis 7.0 has them, on Lua 5.1 (lupa's lua51).

lua.py holds the interpreter and what a script sees (the sandbox, the `redis` table,
the error handler); convert.py turns command replies into Lua values and a script's
result into a reply; commands/scripting/slow.py holds the commands, which run a
script's `redis.call`s through a client slot of the Core, the path every client's
commands take.
"""
