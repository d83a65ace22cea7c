"""Numbers as Redis prints them for people (no kernels, no heavy imports: the dashboard uses it too)."""


def bytes_to_human(n):
    """Redis's bytesToHuman: 1023B, 1.50K, 12.00M."""
    n = int(n)
    if n < 1024:
        return f"{n}B"
    for i, unit in enumerate("KMGTP", 1):
        if n < 1024 ** (i + 1) or unit == "P":
            return f"{n / 1024 ** i:.2f}{unit}"
    return f"{n}B"
