"""What every slow-path module shares: the call, the client record, argument helpers.

The helpers read arguments the way Redis's C code does (string2ll
strictness, printf's stop at NUL), so replies built from them match Redis's
bytes.
"""
import functools
import time
from dataclasses import dataclass, field

from mako_numba.commands import registry as commands
from mako_numba.base.cnum import string2ll


@dataclass
class ClientInfo:
    peer: tuple
    fd: int
    created: float = field(default_factory=time.time)
    name: bytes = b""
    lib_name: bytes = b""
    lib_ver: bytes = b""
    last_active: float = field(default_factory=time.time)
    no_evict: bool = False
    laddr: str = ""             # local address, looked up once (CLIENT LIST)
    authenticated: bool = True  # authcmds.py: logged in as the default user


@dataclass
class Call:
    slot: int
    proto: int
    args: list
    start: int = 0      # the request's first byte in the connection's input buffer
    redacted: set = field(default_factory=set)   # argument positions MONITOR and SLOWLOG hide

    def redact(self, i):
        """Redis's redactClientCommandArgument: argument i is a secret."""
        self.redacted.add(i)

    def shown(self):
        """The arguments as MONITOR and SLOWLOG show them."""
        if not self.redacted:
            return self.args
        return [b"(redacted)" if i in self.redacted else a for i, a in enumerate(self.args)]


def lower_arg(b):
    return b.decode("latin-1").lower()


def int_or_none(b):
    """Redis's string2ll acceptance (cnum.string2ll): the int64 or None."""
    return string2ll(b)


def cstr(b):
    """What C's %s prints of a byte string: everything before the first NUL."""
    return b.split(b"\0", 1)[0]


def format_addr(host, port):
    """Redis's formatSocketAddr (CLIENT LIST addr, SLOWLOG and MONITOR peers): IPv6 hosts in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def safe_name(b):
    """Client names and lib-* values: printable ASCII without spaces."""
    return all(33 <= ch <= 126 for ch in b)


SUB_ARITY = {"client|setinfo": 4}     # subcommands Redis 7.0's metadata lacks


@functools.lru_cache(maxsize=1)
def subcommands():
    """Every `container|sub`, in a fixed order: conn[C_LASTCMD] names one as NCOMMANDS + its place."""
    meta = commands.redis_metadata()["commands"]
    return sorted({n for n in meta if "|" in n} | set(SUB_ARITY))


def last_cmd_code(full):
    """What conn[C_LASTCMD] holds for a command ("get") or subcommand ("config|get")."""
    if "|" in full:
        return commands.NCOMMANDS + subcommands().index(full)
    return commands.INDEX[full]


def last_cmd_name(code):
    """CLIENT LIST's cmd=: the command or subcommand conn[C_LASTCMD] names, or NULL."""
    if code < 0:
        return "NULL"
    if code < commands.NCOMMANDS:
        return commands.NAMES[code]
    return subcommands()[code - commands.NCOMMANDS]


def sub_arity(full):
    """A subcommand's arity, from the metadata."""
    meta = commands.redis_metadata()["commands"].get(full)
    return meta["arity"] if meta else SUB_ARITY.get(full, -2)
