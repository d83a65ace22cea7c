"""Building blocks that know nothing of Redis commands: the Numba decorator and linker,
the shared array layouts, hashing, checksums, compression, glob matching, number parsing.

Imports nothing from the rest of the package except `config`."""
