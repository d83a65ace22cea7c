"""CLIENT: the connection-introspection subcommands (Redis 7.0's networking.c).

A mixin of Admin: methods take a Call and return reply bytes.  CLIENT LIST
and CLIENT INFO print Redis 7.0's fields in its order; CLIENT KILL flags the
victim for the event loop and wakes an idle one (see _wake).
"""
import socket
import time

from mako_numba.config import settings as config
from mako_numba.protocol import errors
from mako_numba.protocol import resp
from mako_numba.base.layout import (
    C_DB, C_FLAGS, C_ID, C_IN_CAP, C_LASTCMD, C_OUT_CAP, C_OUT_SENT, C_OUT_WR, C_PROTO, C_TX_N,
    C_WR,
    F_CLOSE_AFTER, F_CLOSE_NOW, F_MONITOR, F_MULTI, F_REPLY_OFF, F_REPLY_SKIP, F_REPLY_SKIP_NEXT,
)
from mako_numba.commands.slowpath import cstr, int_or_none, lower_arg, safe_name, format_addr, last_cmd_name
from mako_numba.server.netlimits import reply_split

CLIENT_TYPES = ("normal", "slave", "replica", "pubsub", "master")


class ClientCommands:
    # --- CLIENT ---------------------------------------------------------------------------
    def client(self, call):
        return self._subcommand(call, "client")

    def client_id(self, call):
        return resp.integer(int(self.core.conn[call.slot, C_ID]))

    def client_setname(self, call):
        name = call.args[2]
        if not safe_name(name):
            return resp.error(errors.CLIENT_NAME_SPACES)
        self.core.clients[call.slot].name = name
        return resp.simple("OK")

    def client_getname(self, call):
        name = self.core.clients[call.slot].name
        return resp.bulk(name) if name else resp.null(call.proto)

    def client_setinfo(self, call):
        attr = lower_arg(call.args[2])
        if attr not in ("lib-name", "lib-ver"):
            return resp.error(errors.CLIENT_SETINFO_BAD_ATTR % cstr(call.args[2]).decode("latin-1"))
        value = call.args[3]
        if not safe_name(value) and value:
            return resp.error(errors.CLIENT_SETINFO_SPACES % attr)
        info = self.core.clients[call.slot]
        if attr == "lib-name":
            info.lib_name = value
        else:
            info.lib_ver = value
        return resp.simple("OK")

    def _laddr(self, info):
        """The connection's local address, as getsockname() gives it (cached)."""
        if not info.laddr:
            addr = None
            if info.fd >= 0:
                try:
                    with socket.fromfd(info.fd, socket.AF_INET6 if ":" in info.peer[0]
                                       else socket.AF_INET, socket.SOCK_STREAM) as sk:
                        addr = sk.getsockname()[:2]
                except OSError:
                    addr = None
            if addr is None:
                addr = (self.core.settings.get("bind", config.DEFAULT_BIND),
                        self.core.settings.get("port", config.DEFAULT_PORT))
            info.laddr = format_addr(addr[0], addr[1])
        return info.laddr

    def _live_slots(self):
        """Connected clients in connection order, without those killed this batch."""
        conn = self.core.conn
        return [s for s in sorted(self.core.clients, key=lambda s: int(conn[s, C_ID]))
                if not int(conn[s, C_FLAGS]) & F_CLOSE_NOW]

    def _client_line(self, slot, call=None):
        """One CLIENT LIST line, fields as Redis 7.0's catClientInfoString prints them.

        Buffer fields come from the connection table: qbuf = bytes in the
        input buffer, qbuf-free = its free tail, rbs = output buffer size,
        obl = reply bytes not sent yet; oll/omem are 0 (one flat output
        buffer, no reply list).  `cmd` is the last command looked up
        (conn[C_LASTCMD]; EXEC's own commands leave it at exec), and a client
        whose EXEC is running still shows `x` and its `multi` count, as in
        Redis.  `idle` counts from the last slow-path command or the
        connection's start.
        """
        core = self.core
        info = core.clients[slot]
        row = core.conn[slot]
        now = time.time()
        fl = int(row[C_FLAGS])
        multi = int(row[C_TX_N]) if fl & F_MULTI else -1
        if slot == self.exec_slot:
            multi = self.exec_n
        flags = "O" if fl & F_MONITOR else ""
        if multi >= 0:
            flags += "x"
        if core.blocking.is_blocked(slot):
            flags += "b"
        if slot in core.watches.dirty:
            flags += "d"
        if fl & F_CLOSE_AFTER:
            flags += "c"
        if fl & F_CLOSE_NOW:
            flags += "A"
        if info.no_evict:
            flags += "e"
        argv_mem = sum(len(a) for a in call.args) if call is not None and call.slot == slot else 0
        qbuf = int(row[C_WR])
        pending = int(row[C_OUT_WR] - row[C_OUT_SENT])
        obl, oll, omem = reply_split(pending)
        events = "r" + ("w" if pending and (call is None or call.slot != slot) else "")
        tot = int(row[C_IN_CAP]) + int(row[C_OUT_CAP]) + argv_mem
        cmd = last_cmd_name(int(row[C_LASTCMD]))
        return (
            f"id={int(row[C_ID])} addr={format_addr(info.peer[0], info.peer[1])} "
            f"laddr={self._laddr(info)} fd={info.fd} name={info.name.decode('latin-1')} "
            f"age={int(now - info.created)} idle={int(now - info.last_active)} "
            f"flags={flags or 'N'} db={int(row[C_DB])} sub=0 psub=0 ssub=0 "
            f"multi={multi} "
            f"qbuf={qbuf} qbuf-free={int(row[C_IN_CAP]) - qbuf} argv-mem={argv_mem} multi-mem=0 "
            f"rbs={int(row[C_OUT_CAP])} rbp={int(row[C_OUT_CAP])} obl={obl} oll={oll} omem={omem} "
            f"tot-mem={tot} events={events} cmd={cmd} user=default redir=-1 "
            f"resp={int(row[C_PROTO])}"
        )

    def client_list(self, call):
        """CLIENT LIST [TYPE normal|replica|slave|master|pubsub] | [ID id ...]."""
        args = call.args
        slots = None
        if len(args) == 4 and lower_arg(args[2]) == "type":
            kind = lower_arg(args[3])
            if kind not in CLIENT_TYPES:
                return resp.error(errors.CLIENT_UNKNOWN_TYPE % cstr(args[3]).decode("latin-1"))
            slots = self._live_slots() if kind == "normal" else []
        elif len(args) > 3 and lower_arg(args[2]) == "id":
            by_id = {int(self.core.conn[s, C_ID]): s for s in self._live_slots()}
            slots = []
            for a in args[3:]:
                cid = int_or_none(a)
                if cid is None:
                    return resp.error(errors.INVALID_CLIENT_ID)
                if cid in by_id:
                    slots.append(by_id[cid])
        elif len(args) != 2:
            return resp.error(errors.SYNTAX)
        if slots is None:
            slots = self._live_slots()
        text = "".join(self._client_line(s, call) + "\n" for s in slots)
        return resp.verbatim(text, call.proto)

    def client_info(self, call):
        return resp.verbatim(self._client_line(call.slot, call) + "\n", call.proto)

    def client_kill(self, call):
        """CLIENT KILL addr (old form) or CLIENT KILL <filter> <value> ... (new form).

        A killed client is flagged F_CLOSE_NOW (dropped without further
        replies) and its socket is shut down so the loop drops it even if it
        is idle; the caller killing itself gets F_CLOSE_AFTER, so its reply
        goes out first, as in Redis.
        """
        args = call.args
        addr = laddr = None
        kind = None
        cid = 0
        skipme = True
        if len(args) == 3:
            addr = cstr(args[2])
            skipme = False
        else:
            i = 2
            while i < len(args):
                opt = lower_arg(args[i])
                more = i + 1 < len(args)
                if opt == "id" and more:
                    v = int_or_none(args[i + 1])
                    if v is None or v < 1:
                        return resp.error(errors.CLIENT_ID_POSITIVE)
                    cid = v
                elif opt == "type" and more:
                    kind = lower_arg(args[i + 1])
                    if kind not in CLIENT_TYPES:
                        return resp.error(errors.CLIENT_UNKNOWN_TYPE
                                          % cstr(args[i + 1]).decode("latin-1"))
                elif opt == "addr" and more:
                    addr = cstr(args[i + 1])
                elif opt == "laddr" and more:
                    laddr = cstr(args[i + 1])
                elif opt == "user" and more:
                    if cstr(args[i + 1]) != b"default":
                        return resp.error(errors.NO_SUCH_USER % cstr(args[i + 1]).decode("latin-1"))
                elif opt == "skipme" and more:
                    yn = lower_arg(args[i + 1])
                    if yn not in ("yes", "no"):
                        return resp.error(errors.SYNTAX)
                    skipme = yn == "yes"
                else:
                    return resp.error(errors.SYNTAX)
                i += 2
        core = self.core
        killed = 0
        close_self = False
        for slot in self._live_slots():
            info = core.clients[slot]
            if addr is not None and format_addr(info.peer[0], info.peer[1]).encode() != addr:
                continue
            if laddr is not None and self._laddr(info).encode() != laddr:
                continue
            if kind is not None and kind != "normal":
                continue
            if cid and int(core.conn[slot, C_ID]) != cid:
                continue
            if slot == call.slot and skipme:
                continue
            if slot == call.slot:
                close_self = True
            else:
                core.conn[slot, C_FLAGS] |= F_CLOSE_NOW
                _wake(info.fd)
            killed += 1
        if close_self:
            core.conn[call.slot, C_FLAGS] |= F_CLOSE_AFTER
        if len(args) == 3:
            return resp.error(errors.NO_SUCH_CLIENT) if killed == 0 else resp.simple("OK")
        return resp.integer(killed)

    def client_no_evict(self, call):
        """CLIENT NO-EVICT on|off: recorded (flag `e` in CLIENT LIST); we never evict clients."""
        v = lower_arg(call.args[2])
        if v not in ("on", "off"):
            return resp.error(errors.SYNTAX)
        self.core.clients[call.slot].no_evict = v == "on"
        return resp.simple("OK")

    def client_unblock(self, call):
        """CLIENT UNBLOCK client-id [TIMEOUT|ERROR]: a client blocked in a blocking command
        answers its timeout reply, or -UNBLOCKED (engine/blocking.py); 1 if it was blocked."""
        args = call.args
        if len(args) not in (3, 4):
            return resp.error(errors.DEBUG_SUBCOMMAND % ("unblock", "CLIENT"))
        error = False
        if len(args) == 4:
            how = lower_arg(args[3])
            if how not in ("timeout", "error"):
                return resp.error(errors.UNBLOCK_REASON)
            error = how == "error"
        cid = int_or_none(args[2])
        if cid is None:
            return resp.error(errors.NOT_INTEGER)
        core = self.core
        for slot in self._live_slots():
            if int(core.conn[slot, C_ID]) == cid:
                return resp.integer(1 if core.blocking.unblock(slot, error) else 0)
        return resp.integer(0)

    def client_reply(self, call):
        """CLIENT REPLY ON|OFF|SKIP.  OFF and SKIP answer nothing, as in Redis.

        The flags are the connection's (F_REPLY_*); the executor drops the
        reply of each request while OFF is set or SKIP covers it, and turns
        SKIP_NEXT into SKIP once the request that set it is done.
        """
        conn = self.core.conn
        slot = call.slot
        v = lower_arg(call.args[2])
        if v == "on":
            conn[slot, C_FLAGS] &= ~(F_REPLY_OFF | F_REPLY_SKIP)
            return resp.simple("OK")
        if v == "off":
            conn[slot, C_FLAGS] |= F_REPLY_OFF
            return b""
        if v == "skip":
            if not int(conn[slot, C_FLAGS]) & F_REPLY_OFF:
                conn[slot, C_FLAGS] |= F_REPLY_SKIP_NEXT
            return b""
        return resp.error(errors.SYNTAX)


def is_local(host):
    return host.startswith("127.") or host in ("::1", "localhost") or host.startswith("::ffff:127.")


def _wake(fd):
    """Shut a killed client's socket down so the event loop sees EOF and drops its slot.

    The loop only looks at connections that have something to read or send;
    an idle killed client would otherwise stay connected until it spoke.
    shutdown() acts on the socket shared by every descriptor of it, so the
    duplicate made here is enough; the loop still owns (and closes) its own.
    """
    if fd < 0:
        return
    try:
        with socket.fromfd(fd, socket.AF_INET, socket.SOCK_STREAM) as sk:
            sk.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
