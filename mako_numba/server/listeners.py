"""The listening sockets: Redis 7.0's listenToPort, as CONFIG SET port and bind use it.

Rules (server.c listenToPort, changeListenPort, changeBindAddr; anet.c):
- `bind` is up to 16 addresses (config.c setConfigBindOption: split on
  single spaces; "" is none at all, and then nothing listens).  An address
  with a ':' is IPv6 (the socket is IPV6_V6ONLY), "*" is IPv4's any address
  and "::*" IPv6's; a name is resolved and its first address used.  A
  leading '-' makes an address optional: it is skipped when the system
  does not have it (EADDRNOTAVAIL); any address is skipped when its family
  or protocol is not supported.  Any other failure closes what was opened.
- Every socket has SO_REUSEADDR, Redis's backlog, and is non-blocking.
- At run time port 0 means no TCP listener (CONFIG SET port 0); only the
  command line's --port 0 picks a free port.
"""
import errno
import logging
import socket

from mako_numba.config import settings as config

log = logging.getLogger("mako_numba")

BINDADDR_MAX = 16                   # CONFIG_BINDADDR_MAX
_SKIPPED = (errno.ENOPROTOOPT, errno.EPROTONOSUPPORT, errno.ESOCKTNOSUPPORT, errno.EPFNOSUPPORT,
            errno.EAFNOSUPPORT)


def bind_words(value):
    """setConfigBindOption: the addresses of a bind value, or Redis's error text."""
    words = value.split(" ") if value else []
    if len(words) > BINDADDR_MAX:
        return "Too many bind addresses specified."
    return words


def _server_socket(addr, port):
    """anet.c _anetTcpServer: a listening socket on addr:port (OSError on failure)."""
    v6 = ":" in addr
    family = socket.AF_INET6 if v6 else socket.AF_INET
    host = None if addr == "*" or (v6 and addr == "::*") else addr
    try:
        found = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as e:
        raise OSError(errno.EINVAL, str(e)) from None
    fam, kind, proto, _, sockaddr = found[0]
    sock = socket.socket(fam, kind, proto)
    try:
        if v6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(sockaddr)
        sock.listen(config.LISTEN_BACKLOG)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def listen_to_port(addrs, port):
    """listenToPort: sockets on every address of addrs (a list), or OSError with none open."""
    socks = []
    for addr in addrs:
        optional = addr.startswith("-")
        if optional:
            addr = addr[1:]
        try:
            socks.append(_server_socket(addr, port))
        except OSError as e:
            log.warning("Warning: Could not create server TCP listening socket %s:%d: %s",
                        addr, port, e.strerror or e)
            if e.errno == errno.EADDRNOTAVAIL and optional or e.errno in _SKIPPED:
                continue
            for s in socks:
                s.close()
            raise
    return socks
