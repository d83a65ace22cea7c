"""Settings: every tunable, limit and default of the server (`settings`).

The bottom of the package: imports nothing from it."""
