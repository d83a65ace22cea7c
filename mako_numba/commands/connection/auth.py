"""AUTH, and what a connection may do before it: the default user's password.

A mixin of Admin.  Redis 7.0's rules (acl.c, server.c, networking.c), with
only the `default` user (ACL is not implemented):

- `requirepass` empty: the default user has no password.  Every connection
  starts authenticated; `AUTH pass` answers that no password is configured,
  `AUTH default anything` is OK, any other user name is WRONGPASS.
- `requirepass` set: a new connection starts unauthenticated.  Until it
  authenticates (AUTH, or HELLO ... AUTH default pass) it may run only the
  commands with Redis's `no-auth` flag (AUTH, HELLO, QUIT, RESET;
  commands.CF_NO_AUTH, taken from the generated metadata).  Anything else is
  a rejected call answered NOAUTH: by the kernels for their commands (one
  test of F_NOAUTH in dispatch.execute, beside F_MONITOR), by `Admin.run` for
  slow-path ones.  Unknown commands, unknown subcommands and wrong arity are
  answered first, as Redis checks them first.  EXEC rejected this way
  answers EXECABORT and discards the transaction (execCommandAbort).
- A failed AUTH does not log out a client that had authenticated; RESET
  does (the connection is as new).
- `ClientInfo.authenticated` is the truth; the F_NOAUTH bit of a connection
  is "not authenticated, and a password is set", so CONFIG SET requirepass
  refreshes it on every connection (Redis's authRequired() reads both).
- Protected mode: with protected-mode yes and no password, a connection
  from an address that is not loopback is sent DENIED and closed at once
  (server.py asks `refused_by_protected_mode`).
- Passwords are never shown in MONITOR and SLOWLOG: AUTH and HELLO mark
  the arguments they read as secrets (Call.redact) where Redis's
  redactClientCommandArgument does, so AUTH with too many arguments shows
  them; observe.py hides CONFIG SET requirepass's value.
"""
import hmac
import ipaddress

from mako_numba.commands import registry as commands
from mako_numba.protocol import errors
from mako_numba.protocol import resp
from mako_numba.commands.family import CF_NO_AUTH
from mako_numba.base.layout import C_FLAGS, F_MULTI, F_NOAUTH, F_TX_DIRTY
from mako_numba.commands.slowpath import lower_arg


class AuthCommands:
    def password(self):
        """The default user's password, bytes (b"": none)."""
        return self.core.settings.get("requirepass", "").encode("latin-1")

    def credentials_ok(self, user, password):
        """Does (user, password) log in as the default user?"""
        if user != b"default":
            return False
        want = self.password()
        return not want or hmac.compare_digest(password, want)

    def set_authenticated(self, slot, yes):
        info = self.core.clients.get(slot)
        if info is not None:
            info.authenticated = yes
        self._auth_flag(slot, yes)

    def _auth_flag(self, slot, authenticated):
        conn = self.core.conn
        if authenticated or not self.password():
            conn[slot, C_FLAGS] &= ~F_NOAUTH
        else:
            conn[slot, C_FLAGS] |= F_NOAUTH

    def auth_connected(self, slot):
        """A new connection (and RESET): authenticated only when there is no password."""
        self.set_authenticated(slot, not self.password())

    def auth_refresh(self):
        """The password changed (CONFIG SET requirepass): every connection's F_NOAUTH again."""
        for slot, info in self.core.clients.items():
            self._auth_flag(slot, info.authenticated)

    def refused_by_protected_mode(self, host):
        """Protected mode: refuse a client from `host` (no password, not loopback)?"""
        if self.core.settings.get("protected-mode", "yes") != "yes" or self.password():
            return False
        try:
            return not ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
        except ValueError:
            return False            # a Unix socket or something else local

    # --- AUTH ----------------------------------------------------------------------
    def auth(self, call):
        """AUTH [username] password."""
        args = call.args
        if len(args) > 3:
            return resp.error(errors.SYNTAX)
        call.redact(1)
        if len(args) == 2:
            if not self.password():
                return resp.error(errors.AUTH_NOT_CONFIGURED)
            user, password = b"default", args[1]
        else:
            user, password = args[1], args[2]
            call.redact(2)
        if not self.credentials_ok(user, password):
            return resp.error(errors.WRONGPASS)
        self.set_authenticated(call.slot, True)
        return resp.simple("OK")

    # --- refusing before AUTH ------------------------------------------------------------
    def noauth_blocks(self, slot, ci, args):
        """None if command ci may run on slot now; else the rejection's reply (counted)."""
        if not int(self.core.conn[slot, C_FLAGS]) & F_NOAUTH or self.core.cmdt[5][ci] & CF_NO_AUTH:
            return None
        name = commands.NAMES[ci]
        if self.core.cmdt[5][ci] & commands.CF_CONTAINER and len(args) >= 2:
            name += "|" + lower_arg(args[1])   # Admin._check has found it and its arity right
        self._count_rejected(name)
        conn = self.core.conn
        if name == "exec":
            if int(conn[slot, C_FLAGS]) & F_MULTI:
                self._end_transaction(slot)
            return resp.error(errors.EXECABORT_BECAUSE % errors.NOAUTH)
        if int(conn[slot, C_FLAGS]) & F_MULTI:
            conn[slot, C_FLAGS] |= F_TX_DIRTY
        return resp.error(errors.NOAUTH)
