"""A differential fuzzer: random command sequences to a real Redis 7.0.15 and to mako_numba.

Random sequences over a small key space with adversarial arguments
(families/, atoms.py, generator.py) go to both servers on two connections
in lockstep and pipelined in random batches, RESP2 and RESP3, inline and
multibulk, with protocol garbage mixed in (driver.py).  Replies are
compared byte for byte after masking only what is truly random
(normalise.py); a difference is minimised to a short reproducer
(minimise.py) and deduplicated (runner.py).  tests/test_difffuzz.py runs it
on a short budget; tools/difffuzz.py runs it for as long as asked.
"""
