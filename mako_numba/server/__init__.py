"""Sockets: the selectors event loop, listening sockets, connection limits; and the start:
the kernels prepared (compiled where the cache lacks them, in parallel) before the first client."""
