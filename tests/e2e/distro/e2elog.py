"""What check.py (distro) and faults.py (distro-faults) share: reading files, key=value words, and the guest's
"E2E: KIND rest" lines from the serial log, grouped by KIND."""


def read(path, mode="r"):
    try:
        with open(path, mode) as f:
            return f.read()
    except OSError:
        return None


def kv(words):
    """key=value pairs of a list of words or of a string."""
    if isinstance(words, str) or words is None:
        words = (words or "").split()
    return dict(w.split("=", 1) for w in words if "=" in w)


def records(log_path):
    text = (read(log_path, "rb") or b"").decode("latin-1")
    recs = {}
    for line in text.split("\n"):
        i = line.find("E2E: ")
        if i >= 0:
            kind, _, rest = line[i + 5:].rstrip("\r").partition(" ")
            recs.setdefault(kind, []).append(rest)
    return recs
