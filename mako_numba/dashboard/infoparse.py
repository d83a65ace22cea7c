"""INFO's text as data: `parse_info` (sections of fields) and `fields` (a=1,b=2 values).

INFO's reply is sections, each a `# Title` line followed by `name:value`
lines, separated by blank lines (CRLF or LF).  A value runs from the first
`:` to the end of the line, so it may contain `:` itself (`executable`,
`config_file`).  Several fields carry a list of `name=value` pairs after the
colon (`db0:keys=3,expires=0,avg_ttl=0`, `cmdstat_get:calls=5,...`,
`latency_percentiles_usec_get:p50=1.003,p99=3.007`, our `batch_sizes:1=4,2=0`).

Nothing here does I/O and nothing raises on odd input: an unparsable line is
skipped, so a server with fields we have never seen is still displayed.
Section names are lower-cased (`keyspace`, `commandstats`, `mako`); field
values stay strings until a caller asks for a number with `num`.
"""


def parse_info(text):
    """{section: {field: value}} of an INFO reply; fields before any title go under ""."""
    out = {}
    current = out.setdefault("", {})
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            current = out.setdefault(line[1:].strip().lower(), {})
            continue
        name, sep, value = line.partition(":")
        if sep:
            current[name] = value
    if not out[""]:
        del out[""]
    return out


def fields(value):
    """{name: value} of a `a=1,b=2` value; pieces without `=` are skipped."""
    out = {}
    for piece in value.split(","):
        name, sep, v = piece.partition("=")
        if sep:
            out[name.strip()] = v.strip()
    return out


def num(value, default=None):
    """The number in an INFO value (`12`, `0.50`, `1.23%`), or default when it is none."""
    if value is None:
        return default
    text = str(value).strip().rstrip("%")
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return default
