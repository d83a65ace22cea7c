"""The server family: CONFIG, COMMAND, and OBJECT/MEMORY/DEBUG."""
