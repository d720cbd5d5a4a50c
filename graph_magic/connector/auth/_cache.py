"""msal's token cache files: loaded once per process, written atomically with mode 0600.

A cache file found readable by others (left 0644 by an older tool, a copy, a restore) is made
0600 when it is opened, not only when it is next written: a valid cached token means no write
may come for a long time. A folder graph-magic creates for the cache is 0700; one that already
existed keeps its mode.

The one piece of process-wide state in authentication lives here, in ``_FILE_CACHES``: one msal
cache per cache file, so every system sharing a file (the default one, usually) sees the same
accounts and no provider overwrites another's entries. ``_CACHE_LOCK`` guards it and the writes;
msal calls run in worker threads, so two providers may save at the same moment.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

import msal

_CACHE_LOCK = threading.Lock()
_FILE_CACHES: dict[str, msal.SerializableTokenCache] = {}


def open_cache(path: str | None) -> msal.SerializableTokenCache:
    """The process's cache for ``path`` (read from the file on first use), or a private one.

    ``None`` means no file: the cache lives as long as the provider. An unreadable or corrupt
    file only costs a new sign-in, so it reads as empty.
    """
    if path is None:
        return msal.SerializableTokenCache()
    with _CACHE_LOCK:
        cache = _FILE_CACHES.get(path)
        if cache is None:
            cache = msal.SerializableTokenCache()
            _make_private(Path(path))
            with contextlib.suppress(OSError, ValueError):  # missing or corrupt: start empty
                cache.deserialize(Path(path).read_text(encoding="utf-8"))
            _FILE_CACHES[path] = cache
        return cache


def save_cache(cache: msal.SerializableTokenCache, path: str | None) -> None:
    """Write the cache atomically, created 0600 in a 0700 directory: it holds refresh tokens."""
    if path is None or not cache.has_state_changed:
        return
    with _CACHE_LOCK:
        target = Path(path)
        _make_folder(target.parent)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.unlink(missing_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(cache.serialize())
        os.replace(tmp, target)
        cache.has_state_changed = False


def _make_private(path: Path) -> None:
    """Take group and other access away from an existing cache file (it holds refresh tokens).

    A missing file is made 0600 when first written; one we may not chmod (another owner's) is
    still read, as before.
    """
    with contextlib.suppress(OSError):
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)


def _make_folder(folder: Path) -> None:
    """Create the cache's folder 0700 (umask notwithstanding); an existing one is left as it is."""
    if folder.is_dir():
        return
    folder.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):  # another process made it first: theirs
        folder.mkdir(mode=0o700)
        folder.chmod(0o700)
