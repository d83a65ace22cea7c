"""Durability: the RDB codec and snapshots (fork, save, load), the append-only file
(a consumer of the store's propagation stream; rewrite, replay), DEBUG RELOAD."""
