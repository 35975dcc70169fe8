"""The RFC 2109 cookie quoting routine (aiohttp's "Cookie Quoting Routine").

A value made only of token characters is sent as it is. Any other value is sent as a
quoted string in which every character outside the printable set becomes a backslash and
its three-digit octal code, ``"`` and ``\\`` get a backslash, and — because browsers split
on them — ``,`` and ``;`` are escaped as well. :func:`unquote` reverses it. The character
classes are those of RFC 2068 that the standard library's ``http.cookies`` also uses, so a
server sees exactly what aiohttp would send.
"""

from __future__ import annotations

import re
import string

__all__ = ["quote", "unquote"]

_LEGAL = string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~:"
# Printable characters that need the quotes around the value but no escape of their own.
_QUOTED_AS_IS = _LEGAL + " ()/<=>?@[]{}"
_is_legal = re.compile(f"[{re.escape(_LEGAL)}]*").fullmatch
_TRANSLATION: dict[int, str] = {
    n: f"\\{n:03o}" for n in range(256) if chr(n) not in _QUOTED_AS_IS
}
_TRANSLATION[ord('"')] = '\\"'
_TRANSLATION[ord("\\")] = "\\\\"
_ESCAPE = re.compile(r"\\(?:([0-3][0-7][0-7])|(.))", re.DOTALL)


def quote(value: str) -> str:
    """Quote a cookie value with the RFC 2109 routine.

    Args:
        value: the value as the application means it.

    Returns:
        The value as it goes on the wire: unchanged if it is a token, else a quoted string.
    """
    if _is_legal(value):
        return value
    return '"' + value.translate(_TRANSLATION) + '"'


def _unescape(match: re.Match[str]) -> str:
    octal = match[1]
    return chr(int(octal, 8)) if octal is not None else match[2]


def unquote(coded: str) -> str:
    """Reverse :func:`quote`.

    Args:
        coded: a value as received.

    Returns:
        The value with its quotes and escapes removed; a value that is not a complete
        quoted string is returned unchanged.
    """
    if len(coded) < 2 or coded[0] != '"' or coded[-1] != '"':
        return coded
    inner = coded[1:-1]
    if "\\" not in inner:
        return inner
    return _ESCAPE.sub(_unescape, inner)
