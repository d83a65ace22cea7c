"""Loading an RDB file into the key space: large reads, a scanning kernel, an inserting kernel.

`load_file` reads the file into one numpy buffer, READ_CHUNK bytes at a
time (readinto, no copy through bytes), and hands it to two kernels in
turn: rdbscan.scan_records splits it into rows of integers, and
rdbload.insert_records stores the rows' keys.  Python only answers the
kernels' requests (memory, a bigger scratch array, a RESIZEDB hint) and
turns their refusals into messages; it never sees a key, except to name it
in an error.

Rules:
- Loading is all or nothing, as before: any RdbError (unsupported type,
  corruption naming the byte offset, bad checksum, truncation, a duplicated
  key, a database the server lacks) raises, and the server does not start
  (DEBUG RELOAD answers an error).  The messages are rdb.py's, the same as
  RdbReader gives for the same file.
- The CRC-64 runs over each stretch the scanner has parsed (crc64_update,
  a kernel) and is compared with the file's at the end; zero there means
  "not computed", as in Redis.
- A RESIZEDB hint sizes the index for that many more keys before they come
  (KeySpace.reserve), as Redis's dictExpand; the hint is capped by the
  file's size, so a corrupt one cannot ask for a huge index.  Memory asked
  for while loading is supplied without the resize checks of a loop turn
  (an index sized for the whole file is not "too empty" halfway through);
  the key space's after_batch runs once at the end.
- An opcode longer than the buffer (a value of hundreds of MB) grows the
  buffer to hold it; the scanner says how many bytes it needs.
"""
import logging
import os
import time

import numpy as np

from mako_numba.config import settings as config
from mako_numba.base.crc64 import TABLES, crc64_update
from mako_numba.persistence.rdb import (
    MAGIC, ZSET_SCORE_TEXT, RdbError, checksum_mismatch, corrupt, field_bytes, header_version,
    stop_error, truncated,
)
from mako_numba.persistence.rdbbuild import B_CORRUPT, B_DUPLICATE, B_NAN, B_QUICKLIST
from mako_numba.persistence.rdbload import (
    F_KEEP_EXPIRED, F_MERGE, LOAD_BAD_DB, LOAD_BAD_LZF, LOAD_BAD_VALUE, LOAD_DUPLICATE, LOAD_NEED,
    LOAD_RESIZE, LOAD_TMP, O_AT, O_DETAIL, O_EMPTY, O_EXPIRED, O_LOADED, O_NFIELDS, insert_records,
)
from mako_numba.persistence.rdbscan import (
    E_UNSUPPORTED, NCOLS, R_AT, R_CODE, R_DB, R_END, R_KEY, R_KIND, R_START, R_TYPE, S_EOF,
    S_ERROR, S_NEED, TYPE_HASH, TYPE_HASH_LISTPACK, TYPE_HASH_ZIPLIST, TYPE_HASH_ZIPMAP,
    TYPE_LIST_QUICKLIST, TYPE_LIST_QUICKLIST_2, TYPE_LIST_ZIPLIST, TYPE_SET, TYPE_SET_INTSET,
    TYPE_ZSET, TYPE_ZSET_2, TYPE_ZSET_LISTPACK, TYPE_ZSET_ZIPLIST, scan_records,
)

log = logging.getLogger("mako_numba")

# Redis's words for a hash, set, list or sorted set it refuses (rdb.c), by RDB type and
# rdbbuild.B_* (a text score sscanf cannot read: Redis stops with "Short read", naming nothing)
BAD_VALUE = {
    (TYPE_ZSET, B_NAN): "Zset with NAN score detected",
    (TYPE_ZSET_2, B_NAN): "Zset with NAN score detected",
    (TYPE_ZSET_ZIPLIST, B_NAN): "Zset with NAN score detected",      # (Redis takes these two)
    (TYPE_ZSET_LISTPACK, B_NAN): "Zset with NAN score detected",
    (TYPE_ZSET, B_CORRUPT): ZSET_SCORE_TEXT,
    (TYPE_ZSET, B_DUPLICATE): "Duplicate zset fields detected",
    (TYPE_ZSET_2, B_DUPLICATE): "Duplicate zset fields detected",
    (TYPE_ZSET_ZIPLIST, B_CORRUPT): "Zset ziplist integrity check failed",
    (TYPE_ZSET_ZIPLIST, B_DUPLICATE): "Zset ziplist integrity check failed",
    (TYPE_ZSET_LISTPACK, B_CORRUPT): "Zset listpack integrity check failed",
    (TYPE_ZSET_LISTPACK, B_DUPLICATE): "Zset listpack integrity check failed",
    (TYPE_LIST_ZIPLIST, B_CORRUPT): "List ziplist integrity check failed",
    (TYPE_LIST_QUICKLIST, B_CORRUPT): "Ziplist integrity check failed",
    (TYPE_LIST_QUICKLIST_2, B_CORRUPT): "Listpack integrity check failed",
    (TYPE_LIST_QUICKLIST_2, B_QUICKLIST): "Quicklist integrity check failed",
    (TYPE_HASH_LISTPACK, B_CORRUPT): "Hash listpack integrity check failed",
    (TYPE_HASH_ZIPLIST, B_CORRUPT): "Hash ziplist integrity check failed",
    (TYPE_HASH_ZIPMAP, B_CORRUPT): "Zipmap integrity check failed",
    (TYPE_SET_INTSET, B_CORRUPT): "Intset integrity check failed",
    (TYPE_HASH, B_DUPLICATE): "Duplicate hash fields detected",
    (TYPE_HASH_LISTPACK, B_DUPLICATE): "Duplicate hash fields detected",
    (TYPE_HASH_ZIPLIST, B_DUPLICATE): "Hash ziplist integrity check failed",
    (TYPE_HASH_ZIPMAP, B_DUPLICATE): "Hash zipmap with dup elements",
    (TYPE_SET, B_DUPLICATE): "Duplicate set members detected",
    (TYPE_SET_INTSET, B_DUPLICATE): "Duplicate set members detected",
}

READ_CHUNK = 32 << 20       # bytes read per call (and the buffer's size, unless an opcode is bigger)
ROWS = 1 << 14              # records scanned per call
MIN_RECORD = 3              # bytes of the smallest record (type, two empty strings): caps a hint
HEADER = len(MAGIC) + 4


def load_file(core, path, keep_expired=False, merge=False):
    """Load an RDB file into the key space; returns (keys loaded, keys expired).

    Keys whose time is up are skipped, except in an AOF's base (keep_expired),
    where a later command of the log may still PERSIST them, as Redis's
    RDBFLAGS_AOF_PREAMBLE does.  A key that exists already is an error,
    unless `merge` (DEBUG RELOAD MERGE): then the file's key replaces it.

    Raises RdbError for a file we refuse and OSError when it cannot be read.
    """
    ks = core.ks
    before = ks.keys()
    with open(path, "rb", buffering=0) as f:
        loader = _Loader(core, f, (F_KEEP_EXPIRED if keep_expired else 0) | (F_MERGE if merge else 0))
        loader.run()
    ks.after_batch()
    loaded, expired = int(loader.out[O_LOADED]), int(loader.out[O_EXPIRED])
    if loader.out[O_EMPTY]:
        log.warning("Empty hashes, sets, lists or sorted sets skipped: %d", loader.out[O_EMPTY])
    if not merge and ks.keys() - before != loaded:
        raise RdbError("the file holds %d keys but %d were loaded" % (loaded, ks.keys() - before))
    return loaded, expired


class _Loader:
    """One file's load: the buffer, the scanner's state, the counters."""

    def __init__(self, core, f, flags):
        self.core, self.f, self.flags = core, f, flags
        self.size = os.fstat(f.fileno()).st_size
        self.buf = np.empty(READ_CHUNK, np.uint8)
        self.base = 0               # file offset of buf[0]
        self.end = 0                # bytes of buf filled
        self.eof = False
        self.rows = np.zeros((ROWS + 1, NCOLS), np.int64)
        self.state = np.array([0, -1], np.int64)
        self.tmp = np.zeros(1 << 16, np.uint8)
        self.out = np.zeros(O_NFIELDS, np.int64)
        self.hashes = np.zeros(ROWS + 1, np.int64)
        self.now = int(time.time() * 1000)

    def fill(self, keep, need):
        """Drop buf[:keep], then read until buf holds need bytes (offsets before the drop) or
        the file ends; True if it holds them."""
        buf = self.buf
        if keep:
            buf[:self.end - keep] = buf[keep:self.end]
            self.base += keep
            self.end -= keep
        need -= keep
        if need > buf.shape[0]:
            bigger = np.empty(max(need, 2 * buf.shape[0]), np.uint8)
            bigger[:self.end] = buf[:self.end]
            self.buf = buf = bigger
        view = memoryview(buf)
        while self.end < need and not self.eof:
            got = self.f.readinto(view[self.end:])
            if not got:
                self.eof = True
            self.end += got or 0
        view.release()
        return self.end >= need

    def run(self):
        if not self.fill(0, HEADER):
            raise truncated(self.end, True, False, 0)
        self.version = header_version(bytes(self.buf[:HEADER]))
        pos, crc = HEADER, np.uint64(crc64_update(np.uint64(0), self.buf, 0, HEADER, TABLES))
        while True:
            n = scan_records(self.buf, pos, self.end, self.state, config.PROTO_MAX_BULK_LEN,
                             self.rows)
            self.insert(n)
            stop = self.rows[n].tolist()
            kind = stop[R_KIND]
            if kind == S_ERROR:
                raise self.refused(stop)
            nxt = stop[R_START] if kind == S_NEED else stop[R_END]
            crc = np.uint64(crc64_update(crc, self.buf, pos, nxt, TABLES))
            pos = nxt
            if kind == S_EOF:
                break
            if kind == S_NEED:
                if self.base + stop[R_AT] > self.size:      # no read can complete it
                    raise truncated(self.size, False, False, self.base + pos)
                if not self.fill(pos, max(stop[R_AT], pos + READ_CHUNK // 2)) and \
                        self.end < stop[R_AT] - pos:           # the file shrank meanwhile
                    raise truncated(self.base + self.end, False, False, self.base)
                pos = 0
        if self.version >= 5:
            if self.base + pos + 8 > self.size:
                raise truncated(self.size, False, True, 0)
            if not self.fill(pos, pos + 8):
                raise truncated(self.base + self.end, False, True, 0)
            pos = 0
            stored = int(self.buf[:8].view("<u8")[0])
            if stored != 0 and stored != int(crc):
                raise checksum_mismatch(stored, int(crc))

    def insert(self, n):
        """Store the keys of rows[:n], answering the kernel's requests."""
        ks, i = self.core.ks, 0
        while i < n:
            i, status = insert_records(ks.T, self.core.lim, self.buf, self.rows, i, n, self.now,
                                       self.flags, self.tmp, self.out, self.hashes)
            if status == LOAD_NEED:
                ks.supply()
            elif status == LOAD_TMP:
                self.tmp = np.zeros(1 << (int(self.out[O_DETAIL]) - 1).bit_length(), np.uint8)
            elif status == LOAD_RESIZE:
                ks.reserve(min(int(self.rows[i, R_KEY + 1]), self.size // MIN_RECORD))
                i += 1
            elif status != 0:
                raise self.bad_row(i, status)

    def bad_row(self, i, status):
        row = self.rows[i].tolist()
        if status == LOAD_BAD_LZF:
            return corrupt(self.base + int(self.out[O_AT]),
                           "LZF data that does not expand to %d bytes" % self.out[O_DETAIL])
        if status == LOAD_BAD_VALUE:
            what = BAD_VALUE.get((row[R_TYPE], int(self.out[O_DETAIL])), "a corrupt value")
            return corrupt(self.base + int(self.out[O_AT]), what)
        if status == LOAD_BAD_DB:
            return RdbError("the file has database %d, but the server has %d databases "
                            "(--databases)" % (row[R_DB], self.core.ks.databases))
        assert status == LOAD_DUPLICATE
        key = field_bytes(self.buf, self.base, *row[R_KEY:R_KEY + 4])
        return RdbError("duplicated key '%s' in database %d" % (key.decode("latin-1")[:128],
                                                                  row[R_DB]))

    def refused(self, stop):
        key = (field_bytes(self.buf, self.base, *stop[R_KEY:R_KEY + 4])
               if stop[R_CODE] == E_UNSUPPORTED else b"")
        return stop_error(stop, self.base, key, config.PROTO_MAX_BULK_LEN)


__all__ = ["load_file"]
