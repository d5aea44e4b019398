"""File names that are not UTF-8 (bytes a Linux file system allows in names).

Python hands such a name over with surrogate escapes; Arrow, JSON and the terminal cannot take
it. Such a file is reported, under its name with the odd bytes written as ``\\xNN``, and left
out — the others still load.
"""

from __future__ import annotations

NOT_UTF8 = "its name is not valid UTF-8; rename it to read it"


def undecodable_name(path: str) -> str | None:
    """``path`` with its undecodable bytes as ``\\xNN`` when it is not valid UTF-8, else None."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return None
