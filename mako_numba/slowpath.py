"""What every slow-path module shares: the call, the client record, argument helpers.

The helpers read arguments the way Redis's C code does (string2ll
strictness, printf's stop at NUL), so replies built from them match Redis's
bytes.
"""
import time
from dataclasses import dataclass, field

from .cnum import string2ll


@dataclass
class ClientInfo:
    peer: tuple
    fd: int
    created: float = field(default_factory=time.time)
    name: bytes = b""
    lib_name: bytes = b""
    lib_ver: bytes = b""
    last_cmd: str = "NULL"
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


def _lower(b):
    return b.decode("latin-1").lower()


def _int_or_none(b):
    """Redis's string2ll acceptance (cnum.string2ll): the int64 or None."""
    return string2ll(b)


def _cstr(b):
    """What C's %s prints of a byte string: everything before the first NUL."""
    return b.split(b"\0", 1)[0]


def format_addr(host, port):
    """Redis's formatSocketAddr (CLIENT LIST addr, SLOWLOG and MONITOR peers): IPv6 hosts in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _safe_name(b):
    """Client names and lib-* values: printable ASCII without spaces."""
    return all(33 <= ch <= 126 for ch in b)


SUB_ARITY = {"client|setinfo": 4}     # subcommands Redis 7.0's metadata lacks
