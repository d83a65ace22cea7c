"""The generic key-space family (Redis's db.c and expire.c): DEL, EXPIRE, RENAME, SCAN..."""
