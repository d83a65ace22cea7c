"""The key space: arena, index, typed records, expiry, eviction, WATCH marks, and the
Python owner of their memory (`keyspace.KeySpace`).

Imports `base`, `config` and `protocol`; never `commands`, `engine` or `server`."""
