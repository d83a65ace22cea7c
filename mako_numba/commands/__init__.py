"""Commands: the registry (metadata generated from a real Redis), dispatch, the shared
reply helpers, and one module or subpackage per command family.

Imports `store`, `protocol`, `base`, `config`; the engine calls into it, never the reverse."""
