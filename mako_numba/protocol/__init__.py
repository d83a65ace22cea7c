"""The wire: request parsers (RESP, inline, seed lines), reply writers (kernel and
Python), the query-buffer model and Redis's error texts.

Imports only `base` and `config`: the protocol knows no command and no key."""
