"""What the event loop enforces per connection: idle timeout, TCP keepalive, output buffer limits.

Redis 7.0's rules (timeout.c clientsCronHandleTimeout, anet.c anetKeepAlive,
networking.c checkClientOutputBufferLimits), read from core.settings so
CONFIG SET applies them:
- `timeout N` (seconds, 0 = never): a client with no read or write for more
  than N seconds is closed ("Closing idle client", verbose), checked once a
  second.  MONITOR clients are never timed out (Redis spares replicas,
  monitors, blocked and Pub/Sub clients; only monitors exist here).
- `tcp-keepalive N` (default 300, 0 = off): accepted sockets get SO_KEEPALIVE
  with TCP_KEEPIDLE N, TCP_KEEPINTVL N/3 (at least 1) and TCP_KEEPCNT 3.
  A change applies to connections accepted afterwards, as in Redis.
- Query buffers: clientsCronResizeQueryBuffer's trimming, on the core's
  model of them (querybuf.py), which sizes the next read of each client.
- `client-output-buffer-limit` (`normal 0 0 0 slave ... pubsub ...`; only
  the normal class applies): a client whose unsent replies reach the hard
  limit, or stay at or above the soft limit for more than its seconds, is
  closed at once, its replies dropped, with Redis's warning "Client ...
  scheduled to be closed ASAP for overcoming of output buffer limits.".
  Counted as Redis counts (getClientOutputBufferMemoryUsage): the reply
  list, that is the unsent bytes past the first REPLY_BUF (Redis's static
  16 KiB buffer); CLIENT LIST's obl/oll/omem split them the same way.
  Checked whenever replies are left unsent after a send.  The loop also stops reading a client whose
  unsent replies pass config.READ_PAUSE_OUTPUT, so even unlimited a
  non-reading client's buffer stays bounded by about one batch of replies.
"""
import logging
from dataclasses import dataclass
import socket
import time

import numpy as np

from mako_numba.config import params
from mako_numba.config import settings as config
from mako_numba.base.cnum import c_int, memtoull, strtoll
from mako_numba.protocol.errors import OBUF_BAD_CLASS, OBUF_BAD_VALUE, OBUF_WRONG_COUNT
from mako_numba.base.layout import C_FLAGS, F_BLOCKED, F_MONITOR
from mako_numba.protocol.querybuf import cron_trim
from mako_numba.server.netio import N_LAST_US

log = logging.getLogger("mako_numba")

REPLY_BUF = 16 * 1024      # Redis's PROTO_REPLY_CHUNK_BYTES: its static buffer and list nodes


@dataclass(slots=True)
class NetStats:
    """The event loop's counters (INFO stats): core.net.  Python ints, not numpy
    items: the loop adds to them every turn, and item access costs twice as much."""
    input: int = 0              # total_net_input_bytes
    output: int = 0             # total_net_output_bytes
    rejected: int = 0           # rejected_connections (maxclients reached)
    denied: int = 0             # refused by protected mode: not counted as connections received



def reply_split(pending):
    """Unsent bytes as Redis holds them: (obl, oll, omem) of CLIENT LIST."""
    obl = min(pending, REPLY_BUF)
    omem = pending - obl
    return obl, -(-omem // REPLY_BUF), omem


OBUF_DEFAULT = params.OBUF_DEFAULT
OBUF_CLASSES = {"normal": "normal", "slave": "slave", "replica": "slave", "pubsub": "pubsub"}


def parse_obuf(value):
    """{class: (hard, soft, seconds)} for the classes named in value, or Redis's error text.

    As updateClientOutputBufferLimit: words split on single spaces, limits by
    memtoull, seconds by strtoll (a C int)."""
    words = value.split(" ") if value else []
    if len(words) % 4:
        return OBUF_WRONG_COUNT
    out = {}
    for i in range(0, len(words), 4):
        cls = OBUF_CLASSES.get(words[i].lower())
        if cls is None:
            return OBUF_BAD_CLASS
        hard, soft = memtoull(words[i + 1]), memtoull(words[i + 2])
        secs, rest = strtoll(words[i + 3])
        secs = c_int(secs)
        if hard is None or soft is None or secs < 0 or rest:
            return OBUF_BAD_VALUE
        out[cls] = (hard, soft, secs)
    return out


def merge_obuf(old, value):
    """The whole setting after CONFIG SET of some classes (the others keep theirs)."""
    limits = parse_obuf(old or OBUF_DEFAULT)
    limits.update(parse_obuf(value))
    return " ".join("%s %d %d %d" % ((cls,) + limits[cls]) for cls in ("normal", "slave", "pubsub"))


def set_keepalive(sock, interval):
    """anetKeepAlive: probes after `interval` idle seconds, every interval/3, 3 of them."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    if hasattr(socket, "TCP_KEEPIDLE"):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, interval)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, max(1, interval // 3))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3)


class NetLimits:
    """The server's per-connection limits; the loop's last-I/O clock is its table's N_LAST_US."""

    def __init__(self, server):
        self.server = server
        self.core = server.core
        self.soft_since = {}                        # slot -> when it reached the soft limit
        self._next_scan = 0.0
        self._obuf_src = None
        self.normal = (0, 0, 0)
        self.disconnections = 0                     # clients closed for their output buffer

    def accepted(self, slot, sock):
        interval = int(self.core.settings["tcp-keepalive"])
        if interval > 0 and sock.family in (socket.AF_INET, socket.AF_INET6):
            try:
                set_keepalive(sock, interval)
            except OSError as e:
                log.warning("Error configuring keepalive: %s", e.strerror)

    def cron(self, now):
        """Trim query buffers as Redis's clientsCron; once a second: close clients idle for
        longer than `timeout`."""
        self._trim_query_buffers(now)
        if now < self._next_scan:
            return
        self._next_scan = now + 1.0
        timeout = int(self.core.settings["timeout"])
        if timeout <= 0:
            return
        conn, last = self.core.conn, self.server.nt[:, N_LAST_US]
        for slot in list(self.server.socks):
            # blocked clients wait as long as their command says (clientsCronHandleTimeout)
            if now - last[slot] / 1e6 > timeout and not int(conn[slot, C_FLAGS]) & (F_MONITOR | F_BLOCKED):
                log.debug("Closing idle client")
                self.server._drop(slot)

    def _trim_query_buffers(self, now):
        """querybuf.cron_trim on every client: each cron while there are few (Redis's
        clientsCron visits numclients/hz of them, at least 5, per call), else once a second."""
        socks = self.server.socks
        if not socks or (len(socks) > 5 * config.CRON_HZ and now < self._next_scan):
            return
        slots = np.fromiter(socks, np.int64, len(socks))
        idle = (int(now) - self.server.nt[slots, N_LAST_US] // 1_000_000 > 2).astype(np.int64)
        cron_trim(self.core.conn, slots, idle)

    def output_over(self, slot, pending):
        """Has this client's unsent output passed the normal class's limits (then log it)?"""
        src = self.core.settings["client-output-buffer-limit"]
        if src is not self._obuf_src:
            self._obuf_src = src
            self.normal = parse_obuf(src).get("normal", (0, 0, 0))
        hard, soft, secs = self.normal
        pending = reply_split(pending)[2]
        over = False
        if int(self.core.conn[slot, C_FLAGS]) & F_MONITOR:
            return False                            # Redis: the replica class, not limited here
        if hard and pending >= hard:
            over = True
        elif soft and pending >= soft:
            now = int(time.time())                  # whole seconds, as Redis's server.unixtime
            since = self.soft_since.setdefault(slot, now)
            over = now - since > secs
        else:
            self.soft_since.pop(slot, None)
        if over:
            self.disconnections += 1
            try:
                who = self.core.admin._client_line(slot).rstrip("\n")
            except Exception:  # noqa: BLE001  (the log line is best effort)
                who = "slot=%d" % slot
            log.warning("Client %s scheduled to be closed ASAP for overcoming of output buffer limits.", who)
        return over

    def closed(self, slot):
        self.soft_since.pop(slot, None)
