"""The batch: the kernel that parses and runs a turn's requests (`batch`), the sans-IO
`core.Core` that owns a server's arrays, and the table of the families' entry kernels
(`kernels`).

Imports everything below it; `server` and `persistence` drive it."""
