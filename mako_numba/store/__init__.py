"""The key space: arena, index, typed records, expiry, eviction, WATCH marks, the Python
owner of their memory (`keyspace.KeySpace`), and the propagation stream of its effects
(`effects`, kernels; `propagation.Propagation`, the buffer and its consumers).
`types/` declares the value types (Redis's OBJ_* numbers, tagged in each record's
header), the typed lookups that give WRONGTYPE, and the per-type seam;
`types/string.py` is the string's.

Imports `base`, `config` and `protocol`; never `commands`, `engine` or `server`."""
