"""The connection family: AUTH and CLIENT."""
