"""The batch: the kernel that parses and runs a turn's requests (`batch`), the sans-IO
`core.Core` that owns a server's arrays, and kernel warm-up.

Imports everything below it; `server` and `persistence` drive it."""
