"""The user's ``.netrc``, read off the event loop and again only when the file changes.

A session with ``trust_env=True`` looks credentials up here for every request that has none,
so the lookup itself is a dictionary access. The file is checked (``stat``) in a worker thread
at most once per ``recheck_interval`` seconds, and parsed again only when its modification
time, size or inode changed since the last parse.
"""

from __future__ import annotations

import asyncio
import logging
import netrc
import os
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

__all__ = ["NetrcFile", "netrc_path"]

_log = logging.getLogger("ketch")

_Signature = tuple[int, int, int]
_Entries = dict[str, tuple[str, str]]


def netrc_path(environ: Mapping[str, str]) -> Path | None:
    """Where the ``.netrc`` is: ``$NETRC`` if set, else ``~/.netrc`` (``~/_netrc`` on Windows
    when there is no ``~/.netrc``, as curl looks for it).

    Args:
        environ: the environment to read ``NETRC`` and the home directory from.

    Returns:
        The path (which may not exist), or None when no home directory is known.
    """
    explicit = environ.get("NETRC")
    if explicit:
        return Path(explicit).expanduser()
    try:
        home = Path.home()
    except RuntimeError:
        return None
    path = home / ".netrc"
    if sys.platform == "win32" and not path.exists():  # pragma: no cover - Windows only
        return home / "_netrc"
    return path


class NetrcFile:
    """Credentials from one ``.netrc`` file, kept fresh without blocking the loop.

    Args:
        path: the file; None means there is none (every lookup finds nothing).
        recheck_interval: seconds during which a parsed file is trusted without a ``stat``.
        clock: a monotonic clock (injectable for tests).
    """

    def __init__(
        self,
        path: Path | None,
        *,
        recheck_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self._interval = recheck_interval
        self._clock = clock
        self._checked_at: float | None = None
        self._signature: _Signature | None = None
        self._entries: _Entries = {}
        self._lock: asyncio.Lock | None = None

    async def lookup(self, host: str) -> tuple[str, str] | None:
        """The ``(login, password)`` for *host*, or the ``default`` entry's, or None.

        Args:
            host: the machine name as in the URL (yarl's ``host``).

        Returns:
            The credentials; a missing ``login`` falls back to ``account``, a missing
            ``password`` is the empty string.
        """
        if self.path is None:
            return None
        checked = self._checked_at
        if checked is None or self._clock() - checked >= self._interval:
            await self._refresh()
        entries = self._entries
        found = entries.get(host)
        if found is None:
            found = entries.get("default")
        return found

    async def _refresh(self) -> None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            checked = self._checked_at
            if checked is not None and self._clock() - checked < self._interval:
                return  # another request refreshed while we waited
            signature, entries = await asyncio.to_thread(self._load, self._signature)
            if entries is not None:
                self._entries = entries
            self._signature = signature
            self._checked_at = self._clock()

    def _load(self, previous: _Signature | None) -> tuple[_Signature | None, _Entries | None]:
        """Runs in a worker thread: stat, and parse when changed (entries None: unchanged)."""
        assert self.path is not None
        try:
            st = os.stat(self.path)
        except OSError:
            return None, {}
        signature = (st.st_mtime_ns, st.st_size, st.st_ino)
        if signature == previous:
            return signature, None
        try:
            parsed = netrc.netrc(os.fspath(self.path))
        except (OSError, UnicodeError, netrc.NetrcParseError) as exc:
            # The file belongs to the user's environment, not to this request: a broken one
            # is reported (once per version of the file) and ignored, as curl does.
            _log.warning("ignoring %s: %s", self.path, exc)
            return signature, {}
        entries: _Entries = {}
        for machine, (login, account, password) in parsed.hosts.items():
            entries[machine] = (login or account or "", password or "")
        return signature, entries
