"""Sockets: the selectors event loop, listening sockets, connection limits."""
