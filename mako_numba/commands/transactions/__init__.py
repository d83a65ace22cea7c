"""The transaction family (Redis's multi.c): MULTI and queuing in the kernels, EXEC,
DISCARD, WATCH and UNWATCH on the slow path."""
