"""The persistence family: SAVE, BGSAVE, LASTSAVE, BGREWRITEAOF, SHUTDOWN (slow path)."""
