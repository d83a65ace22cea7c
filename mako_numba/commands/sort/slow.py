"""SORT and SORT_RO, as Redis 7.0's sort.c sortCommandGeneric does them.

The elements of a list, set or sorted set are read from the key's value
(store/types/pyview.py, zset.py), weighted by themselves or by other keys
(BY pattern, `*` substituted, `->field` of a hash), sorted with sort.c's
comparison (numbers with C strtod, ties by bytes; ALPHA by bytes, strcoll in
the C locale), cut by LIMIT and answered, or fetched through GET patterns,
or stored as a list (STORE: the key replaced, its time to live gone; an
empty result deletes it).  Every key read counts as Redis's lookupKeyRead
counts it (keyspace hits and misses).

Differences: a set sorted by a constant BY (nothing to sort, no STORE) comes
in mako_numba's set order, which is not Redis's dict order (Redis forces a
sort only with STORE or in a script, as here).
"""
import functools
import math

from mako_numba.base.layout import C_DB, S_HITS, S_MISSES, T_DIRTY
from mako_numba.base.cnum import strtod
from mako_numba.commands.slowpath import int_or_none, lower_arg
from mako_numba.protocol import errors, resp
from mako_numba.store.types import OBJ_HASH, OBJ_LIST, OBJ_SET, OBJ_STRING, OBJ_ZSET, pyview, type_number
from mako_numba.store.types import zset as zset_type

LONG_MAX = 2 ** 63 - 1


class SortCommands:
    def sort(self, call):
        return self._sort(call, False)

    def sort_ro(self, call):
        return self._sort(call, True)

    # --- reading keys as lookupKeyRead does --------------------------------------------------
    def _read(self, db, key):
        """(type, value bytes) of a live key, or None; a hit or a miss is counted."""
        core = self.core
        found = core.key_info(db, key, touch=True)
        core.stats[S_HITS if found is not None else S_MISSES] += 1
        if found is None:
            return None
        return type_number(found[4]), bytes(found[0])

    def _by_pattern(self, db, pattern, subst):
        """lookupKeyByPattern: `#` is the element; a pattern without `*` names nothing; else
        the string at the substituted key, or the field after `->` of the hash there."""
        if pattern == b"#":
            return subst
        star = pattern.find(b"*")
        if star < 0:
            return None
        arrow = pattern.find(b"->", star + 1)
        field = None
        if arrow >= 0 and arrow + 2 < len(pattern):
            field = pattern[arrow + 2:]
            key = pattern[:star] + subst + pattern[star + 1:arrow]
        else:
            key = pattern[:star] + subst + pattern[star + 1:]
        found = self._read(db, key)
        if found is None:
            return None
        t, value = found
        if field is not None:
            if t != OBJ_HASH:
                return None
            return dict(pyview.hash_items(value)).get(field)
        return value if t == OBJ_STRING else None

    # --- the command -------------------------------------------------------------------------
    def _sort(self, call, readonly):
        core = self.core
        args = call.args
        db = int(core.conn[call.slot, C_DB])
        desc = alpha = dontsort = False
        start_arg, count_arg = 0, -1
        sortby = storekey = None
        gets = []
        j = 2
        while j < len(args):
            opt = lower_arg(args[j])
            left = len(args) - j - 1
            if opt == "asc":
                desc = False
            elif opt == "desc":
                desc = True
            elif opt == "alpha":
                alpha = True
            elif opt == "limit" and left >= 2:
                a, b = int_or_none(args[j + 1]), int_or_none(args[j + 2])
                if a is None or b is None:
                    return resp.error(errors.NOT_INTEGER)
                start_arg, count_arg = a, b
                j += 2
            elif not readonly and opt == "store" and left >= 1:
                storekey = args[j + 1]
                j += 1
            elif opt == "by" and left >= 1:
                sortby = args[j + 1]
                if b"*" not in sortby.split(b"\0", 1)[0]:       # strchr stops at a NUL
                    dontsort = True
                j += 1
            elif opt == "get" and left >= 1:
                gets.append(args[j + 1])
                j += 1
            else:
                return resp.error(errors.SYNTAX)
            j += 1
        found = self._read(db, args[1])
        if found is not None and found[0] not in (OBJ_SET, OBJ_LIST, OBJ_ZSET):
            return resp.error(errors.WRONGTYPE)
        t, value = found if found is not None else (OBJ_LIST, None)
        if dontsort and t == OBJ_SET and storekey is not None:
            dontsort, alpha, sortby = False, True, None         # a stable answer to store
        elems = self._elements(t, value)
        n = len(elems)
        start = min(max(start_arg, 0), n)
        count = min(max(count_arg, -1), n)
        end = n - 1 if count < 0 else start + count - 1
        if start >= n:
            start, end = n - 1, n - 2
        if end >= n:
            end = n - 1
        if dontsort and t in (OBJ_LIST, OBJ_ZSET):
            if desc:
                elems = elems[::-1]
        error = False
        if not dontsort:
            keyed = []
            for e in elems:
                by = self._by_pattern(db, sortby, e) if sortby is not None else e
                if alpha:
                    keyed.append((e, by if sortby is not None else None))
                    continue
                score = 0.0
                if by is not None:
                    score, bad = _score(by)
                    error = error or bad
                keyed.append((e, score))
            cmp = functools.cmp_to_key(_comparator(alpha, sortby is not None, storekey is not None, desc))
            keyed.sort(key=cmp)
            elems = [e for e, _ in keyed]
        if error:
            return resp.error(errors.SORT_SCORES)
        picked = elems[start:end + 1] if end >= start else []
        if storekey is None:
            out = []
            for e in picked:
                if not gets:
                    out.append(resp.bulk(e))
                for g in gets:
                    v = self._by_pattern(db, g, e)
                    out.append(resp.null(call.proto) if v is None else resp.bulk(v))
            return resp.array(out)
        items = []
        for e in picked:
            if not gets:
                items.append(e)
            for g in gets:
                v = self._by_pattern(db, g, e)
                items.append(b"" if v is None else v)
        dirty = int(core.ks.tm[T_DIRTY])
        if items:
            core.store_list(db, storekey, items)
            core.ks.tm[T_DIRTY] = dirty + len(items)
        elif core.delete_key(db, storekey):
            core.ks.tm[T_DIRTY] = dirty + 1
        else:
            core.ks.tm[T_DIRTY] = dirty
        return resp.integer(len(items))

    def _elements(self, t, value):
        """The elements to sort, as Redis loads its vector: a list in order, a set in its
        order, a sorted set in score order."""
        if value is None:
            return []
        if t == OBJ_LIST:
            return pyview.list_items(value)
        if t == OBJ_SET:
            return pyview.set_members(value)
        return [m for m, s in zset_type.items(value)]


def _score(by):
    """sort.c's weight of a BY value: strtod, an error if it does not spell a whole number."""
    v, used, err = strtod(by)
    if b"\0" in by or used != len(by) or err or math.isnan(v):
        # strtod stops at a NUL like anything else that is not a number
        return v if not math.isnan(v) else 0.0, True
    return v, False


def _c_string(b):
    return b.split(b"\0", 1)[0]


def _comparator(alpha, bypattern, store, desc):
    """sortCompare with the server.sort_* flags it reads."""
    def cmp(a, b):
        ea, wa = a
        eb, wb = b
        if not alpha:
            c = (wa > wb) - (wa < wb)
            if c == 0:
                c = (ea > eb) - (ea < eb)
        elif bypattern:
            if wa is None or wb is None:
                c = 0 if wa is wb else (-1 if wa is None else 1)
            elif store:
                c = (wa > wb) - (wa < wb)
            else:
                x, y = _c_string(wa), _c_string(wb)
                c = (x > y) - (x < y)
        elif store:
            c = (ea > eb) - (ea < eb)
        else:
            x, y = _c_string(ea), _c_string(eb)
            c = (x > y) - (x < y)
        return -c if desc else c
    return cmp
