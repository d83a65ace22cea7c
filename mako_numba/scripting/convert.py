"""Between replies and Lua values, as script_lua.c converts them.

- `reply_to_lua`: a command's reply bytes (RESP2 or RESP3, as the script's client
  speaks: redis.setresp) into the Lua value redis.call returns
  (redisProtocolToLuaType): integers as numbers, bulk strings as strings, nulls as
  false (RESP2) or nil (RESP3 null), arrays as tables, status as {ok=...}, errors as
  {err=...}, and under RESP3 maps as {map={...}}, sets as {set={k=true}}, doubles as
  {double=n}, booleans, big numbers as {big_number=s}, verbatim strings as
  {verbatim_string={format=..., string=...}}.
- `lua_to_reply`: a script's result into the reply the caller gets
  (luaReplyToRedisReply), for the caller's protocol and the script's (booleans and
  nulls differ with the script's RESP).

Rules: no I/O; an array stops at its first nil.  Tables are read by ordinary
indexing (Redis reads them raw: a result table with an __index metamethod is the one
case that differs).
"""
import math

from mako_numba.protocol import resp
from mako_numba.protocol.resp import error as error_reply
from mako_numba.store.types.zscore import format_score


class ReplyParser:
    """One reply at a time out of bytes, into Lua values made by `lua` (a LuaRuntime)."""

    def __init__(self, lua, data):
        self.lua = lua
        self.d = data
        self.i = 0

    def _line(self):
        j = self.d.index(b"\r\n", self.i)
        line = self.d[self.i + 1:j]
        self.i = j + 2
        return line

    def _table(self, items=(), pairs=()):
        t = self.lua.table()
        for k, v in enumerate(items, 1):
            t[k] = v
        for k, v in pairs:
            t[k] = v
        return t

    def value(self):
        """The next reply as a Lua value, and whether it was an error."""
        kind = self.d[self.i:self.i + 1]
        line = self._line()
        if kind == b"+":
            return self._table(pairs=[(b"ok", line)]), False
        if kind == b"-":
            return error_table(self.lua, b"-" + line, True), True
        if kind == b":":
            return int(line), False
        if kind in (b"$", b"="):
            n = int(line)
            if n < 0:
                return False, False
            s = self.d[self.i:self.i + n]
            self.i += n + 2
            if kind == b"=":
                return self._table(pairs=[(b"verbatim_string", self._table(
                    pairs=[(b"format", s[:3]), (b"string", s[4:])]))]), False
            return s, False
        if kind in (b"*", b"~", b">"):
            n = int(line)
            if n < 0:
                return False, False
            items = [self.value()[0] for _ in range(n)]
            if kind == b"~":
                return self._table(pairs=[(b"set", self._table(pairs=[(x, True) for x in items]))]), False
            return self._table(items), False
        if kind == b"%":
            n = int(line)
            pairs = []
            for _ in range(n):
                k = self.value()[0]
                pairs.append((k, self.value()[0]))
            return self._table(pairs=[(b"map", self._table(pairs=pairs))]), False
        if kind == b"_":
            return None, False
        if kind == b"#":
            return line == b"t", False
        if kind == b",":
            return self._table(pairs=[(b"double", float(line))]), False
        if kind == b"(":
            return self._table(pairs=[(b"big_number", line)]), False
        raise ValueError("unexpected reply byte %r" % kind)


def reply_to_lua(lua, data):
    """(value, is error) of the one reply in `data`."""
    return ReplyParser(lua, data).value()


def error_table(lua, text, ignore_stats=False):
    """luaPushErrorBuff: {err="CODE msg"} from "-CODE msg" (or "msg": code ERR), a trailing
    CR/LF trimmed; with ignore_error_stats_update when the error was counted already."""
    text = bytes(text)
    if text[:1] == b"-":
        sp = text.find(b" ")
        code, msg = (b"ERR", text[1:]) if sp < 0 else (text[1:sp], text[sp + 1:])
    else:
        code, msg = b"ERR", text
    t = lua.table()
    t[b"err"] = code + b" " + msg.strip(b"\r\n")
    if ignore_stats:
        t[b"ignore_error_stats_update"] = True
    return t


def to_int(x):
    """(long long)lua_tonumber: truncated toward zero; what C gives for inf and NaN on x86."""
    if math.isnan(x) or math.isinf(x) or abs(x) >= 2.0 ** 63:
        return -(1 << 63)
    return int(x)


def lua_to_reply(v, proto, script_resp, lua_type):
    """The reply bytes for Lua value v (luaReplyToRedisReply); `lua_type` is lupa.lua_type."""
    if v is None:
        return resp.null(proto)
    if isinstance(v, bool):
        if script_resp == 2:
            return b":1\r\n" if v else resp.null(proto)
        if proto == 3:
            return b"#t\r\n" if v else b"#f\r\n"
        return b":1\r\n" if v else b":0\r\n"
    if isinstance(v, (int, float)):
        return resp.integer(to_int(v))
    if isinstance(v, bytes):
        return resp.bulk(v)
    if lua_type(v) != "table":
        return resp.null(proto)
    return _table_reply(v, proto, script_resp, lua_type)


def _table_reply(t, proto, script_resp, lua_type):
    err = t[b"err"]
    if isinstance(err, bytes):
        return error_reply(err)
    ok = t[b"ok"]
    if isinstance(ok, bytes):
        return b"+" + ok.replace(b"\r", b" ").replace(b"\n", b" ") + b"\r\n"
    dbl = t[b"double"]
    if isinstance(dbl, (int, float)) and not isinstance(dbl, bool):
        text = format_score(float(dbl))
        return b",%s\r\n" % text if proto == 3 else resp.bulk(text)
    big = t[b"big_number"]
    if isinstance(big, bytes):
        big = big.replace(b"\r", b" ").replace(b"\n", b" ")
        return b"(%s\r\n" % big if proto == 3 else resp.bulk(big)
    verb = t[b"verbatim_string"]
    if lua_type(verb) == "table":
        fmt, s = verb[b"format"], verb[b"string"]
        if isinstance(fmt, bytes) and isinstance(s, bytes):
            return resp.verbatim(s, proto, fmt[:3])
    m = t[b"map"]
    if lua_type(m) == "table":
        pairs = [(lua_to_reply(k, proto, script_resp, lua_type),
                  lua_to_reply(val, proto, script_resp, lua_type)) for k, val in m.items()]
        return resp.map_(pairs, proto)
    st = t[b"set"]
    if lua_type(st) == "table":
        return resp.set_([lua_to_reply(k, proto, script_resp, lua_type) for k in st.keys()], proto)
    items = []
    j = 1
    while True:
        x = t[j]
        if x is None:
            break
        items.append(lua_to_reply(x, proto, script_resp, lua_type))
        j += 1
    return resp.array(items)
