"""Settings: every tunable, limit and default of the server (`settings`), and the
server's parameters as redis.conf names them, once each (`params`).

`settings` is the bottom of the package: it imports nothing from it.
`params` reads numbers with base/cnum.py; a few of its checks borrow their
owner's parser (bind, client-output-buffer-limit) when they run."""
