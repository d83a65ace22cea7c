"""The key space: arena, index, typed records, expiry, eviction, WATCH marks, and the
Python owner of their memory (`keyspace.KeySpace`); the propagation stream of its effects
(`effects`, kernels; `propagation.Propagation`, the buffer and its consumers).

Imports `base`, `config` and `protocol`; never `commands`, `engine` or `server`."""
