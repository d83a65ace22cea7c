"""Durability: the RDB codec and snapshots (fork, save, load), the append-only file
(log buffer, rewrite, replay), DEBUG RELOAD."""
