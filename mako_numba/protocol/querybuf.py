"""Redis's query buffer arithmetic: how much its next read of a client may bring.

Redis checks an unfinished line (an inline request, a `*` or `$` header)
after every read: more than 64 KiB pending without its end is a protocol
error.  Which lines pass therefore depends on where its reads stop, and
readQueryFromClient (networking.c) reads at most what its query buffer (an
sds string) has room for:
- while the buffer's allocation is below PROTO_IOBUF_LEN (a new client's),
  it makes room for 16 KiB without the greedy doubling and reads 16 KiB;
- else it makes room greedily (sdsMakeRoomFor: if fewer than 16 KiB are
  free, (pending + 16 KiB) doubled below 1 MiB, plus 1 MiB above) and reads
  as much as the allocation holds;
- jemalloc rounds each allocation up to its size class and sds keeps the
  rounding (s_malloc_usable), less the header of the string type the length
  needs (3, 5, 9 or 17 bytes) and the NUL.
So a line sent at once on a new client is read in pieces of 16384, then
65526 bytes: its newline must come within 81910 bytes.  After a 6-byte PING
in the same write the pieces are 16384 (PING's 6 in it), 49152, 98300: the
line passes up to 163830 bytes.

The core keeps each connection's modelled allocation (C_QB_ALLOC, grown
for a read when the next batch starts: `note_read`) and, at the end of
every batch, the room of its next read (C_RD_MAX: `next_read`).  Whoever
reads (the event loop, Core.in_space) reads no more than that, and first
grows the input buffer when it is shorter, so a read ends where Redis's
would or where the socket ran dry.  The bound holds while the connection
is idle or its pending request is an unfinished line.  An argument of 32
KiB or more (PROTO_MBULK_BIG_ARG) is read as Redis reads it, exactly to its
end, and leaves Redis a buffer of its size; between the smaller arguments
of a multibulk request reads are not bounded (mako reads them in as few
reads as its buffer allows), only the allocation is followed.

clientsCron trims a query buffer idle for over 2 s, or one past 32 KiB whose
peak since the last visit is under half of it (`cron_trim`, run by the
event loop's cron: every client each tenth of a second while there are few,
as Redis visits them, once a second past 50).

Not exact: the cron's timing (a visit, a second); the reads of small
multibulk arguments, so a line arriving in the same reads as such a request
may meet other boundaries; a pipelined request before a line that stops the
batch (a slow-path command, a deferral: the model counts what follows it as
pending).  Lines shorter than 64 KiB are never affected.

Rules: kernels, integers only; Python reads C_RD_MAX and calls `cron_trim`.
"""
from mako_numba.base.jit import kernel
from mako_numba.base.layout import (
    C_PS_ARGC, C_PS_BULK, C_PS_POS, C_QB_ALLOC, C_QB_LEN, C_QB_PEAK, C_RD, C_RD_MAX, C_WR,
)

PROTO_IOBUF_LEN = 16 * 1024     # Redis's read size, and the allocation below which reads are fixed
PROTO_MBULK_BIG_ARG = 32 * 1024 # bulk arguments from this size get a buffer of their own
SDS_MAX_PREALLOC = 1024 * 1024  # greedy growth doubles below this, adds it above
PROTO_RESIZE_THRESHOLD = 32 * 1024  # clientsCron trims a query buffer past this to its peak
NEW_CLIENT_ALLOC = 4            # sdsempty(): 8-byte jemalloc class less header and NUL
NEW_CLIENT_READ = PROTO_IOBUF_LEN   # so its first read makes room for 16 KiB and reads that


@kernel
def jemalloc_size(n):
    """jemalloc 5's size class for an n-byte request (4 classes per doubling above 128)."""
    if n <= 8:
        return 8
    if n <= 128:
        return (n + 15) & ~15
    k = 7
    while (1 << (k + 1)) < n:
        k += 1
    step = 1 << (k - 2)
    return (n + step - 1) & ~(step - 1)


@kernel
def sds_alloc(n):
    """The allocation sds records for a string made to hold n bytes (usable size)."""
    if n < 256:
        hdr, top = 3, 255
    elif n < 65536:
        hdr, top = 5, 65535
    elif n < (1 << 32):
        hdr, top = 9, (1 << 32) - 1
    else:
        hdr, top = 17, (1 << 62)
    return min(jemalloc_size(hdr + n + 1) - hdr - 1, top)


@kernel
def read_room(alloc, pending):
    """readQueryFromClient's sdsMakeRoomFor: (allocation after it, bytes the read may bring)."""
    if alloc < PROTO_IOBUF_LEN:
        if alloc - pending < PROTO_IOBUF_LEN:
            alloc = sds_alloc(pending + PROTO_IOBUF_LEN)
        return alloc, PROTO_IOBUF_LEN
    if alloc - pending < PROTO_IOBUF_LEN:
        n = pending + PROTO_IOBUF_LEN
        n = 2 * n if n < SDS_MAX_PREALLOC else n + SDS_MAX_PREALLOC
        alloc = sds_alloc(n)
    return alloc, alloc - pending


@kernel(inline=True)
def _set_room(conn, c):
    """C_RD_MAX from the allocation: Redis's next read of connection c."""
    if conn[c, C_PS_ARGC] > 0:
        bulk = conn[c, C_PS_BULK]
        big = bulk >= PROTO_MBULK_BIG_ARG
        conn[c, C_RD_MAX] = bulk + 2 - (conn[c, C_WR] - conn[c, C_PS_POS]) if big else 0
    else:
        conn[c, C_RD_MAX] = read_room(conn[c, C_QB_ALLOC], conn[c, C_WR] - conn[c, C_RD])[1]


@kernel(inline=True)
def note_read(conn, c):
    """Before a batch parses connection c: if it read, the makeroom that read made, and
    the buffer's peak (querybuf_peak)."""
    rd = conn[c, C_RD]
    n = conn[c, C_WR] - rd
    was = conn[c, C_QB_LEN]
    if n != was:
        if was >= 0:
            base = conn[c, C_PS_POS] if conn[c, C_PS_ARGC] > 0 else rd
            conn[c, C_QB_ALLOC] = read_room(conn[c, C_QB_ALLOC], rd + was - base)[0]
        conn[c, C_QB_LEN] = n
        if n > conn[c, C_QB_PEAK]:
            conn[c, C_QB_PEAK] = n


@kernel(inline=True)
def next_read(conn, c):
    """At the end of a batch: the room of connection c's next read.

    Inside a multibulk request Redis's buffer holds the unfinished argument
    (it moved the finished ones out); a big one has a buffer of its size
    (made when its header was read) and is read to its end, no further.
    Otherwise the pending bytes are an unfinished line (or nothing) and the
    read is bounded.
    """
    if conn[c, C_PS_ARGC] > 0 and conn[c, C_PS_BULK] >= PROTO_MBULK_BIG_ARG:
        conn[c, C_QB_ALLOC] = sds_alloc(conn[c, C_PS_BULK] + 2)
        conn[c, C_QB_LEN] = -1
    else:
        conn[c, C_QB_LEN] = conn[c, C_WR] - conn[c, C_RD]
    _set_room(conn, c)


@kernel(entry=True)
def cron_trim(conn, slots, idle):
    """clientsCronResizeQueryBuffer for connections `slots` (idle[i]: no I/O for over 2 s).

    A buffer wasting more than 4 KiB shrinks to its length when idle, else,
    past 32 KiB and more than twice its peak, to the larger of its length,
    peak and pending bulk (sdsResize keeps that size exactly); the peak
    restarts from the length.  Then the room of the next read again.
    """
    for i in range(slots.shape[0]):
        c = slots[i]
        mid = conn[c, C_PS_ARGC] > 0
        n = conn[c, C_WR] - (conn[c, C_PS_POS] if mid else conn[c, C_RD])
        bulk = conn[c, C_PS_BULK] if mid else -1
        alloc = conn[c, C_QB_ALLOC]
        peak = conn[c, C_QB_PEAK]
        if alloc - n > 4096:
            if idle[i]:
                alloc = n
            elif alloc > PROTO_RESIZE_THRESHOLD and alloc // 2 > peak:
                alloc = max(n, peak, bulk)
        conn[c, C_QB_ALLOC] = alloc
        conn[c, C_QB_PEAK] = max(n, bulk)
        _set_room(conn, c)
