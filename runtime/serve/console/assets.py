"""The console's static files, as ``asl serve`` answers ``GET /`` and ``GET /console/<path>``.

Files come only from the package's ``static/`` folder: a path is percent-decoded once, and one
with an empty, ``.``/``..``, hidden or backslash segment, or that resolves (through a link)
outside the folder, is not found. Each answer carries a strong ``ETag`` (a hash of the bytes)
and ``Cache-Control: no-cache``, so a browser revalidates and gets ``304 Not Modified`` until
the package changes. The files hold no data: every execution, machine or task the console shows
comes through the API, with its authorisation.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

STATIC = Path(__file__).resolve().parent / "static"
INDEX = "index.html"
PREFIX = "/console/"

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    ".LICENSE": "text/plain; charset=utf-8",
}
OCTETS = "application/octet-stream"
POLICY = (  # scripts from these files only (stored data shown by the page never runs), no
    # framing (no clickjacking of actions), calls to this server only
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
HEADERS = (
    ("Cache-Control", "no-cache"),  # revalidated each time: cheap 304s, never a stale file
    ("X-Content-Type-Options", "nosniff"),
    ("Content-Security-Policy", POLICY),
    ("Referrer-Policy", "no-referrer"),
)


@dataclass(frozen=True, slots=True)
class Asset:
    """An answer to a console GET: status, headers (name, value) and body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class _File:
    stamp: tuple[int, int]  # mtime_ns, size
    body: bytes
    etag: str


_cache: dict[Path, _File] = {}
_lock = threading.Lock()


def is_console_path(path: str) -> bool:
    """Whether ``path`` (no query) is one the console answers."""
    return path == "/" or path.startswith(PREFIX)


def answer(path: str, if_none_match: str | None = None, root: Path = STATIC) -> Asset | None:
    """The answer to ``GET path`` (``is_console_path``): the file, ``304`` when
    ``if_none_match`` names its ETag, or None when there is no such file."""
    found = resolve(path, root)
    if found is None:
        return None
    file = _read(found)
    if file is None:
        return None
    headers = (("ETag", file.etag), *HEADERS)
    if if_none_match is not None and _matches(if_none_match, file.etag):
        return Asset(304, headers)
    kind = TYPES.get(found.suffix, OCTETS)
    return Asset(200, (("Content-Type", kind), *headers), file.body)


def resolve(path: str, root: Path = STATIC) -> Path | None:
    """The file under ``root`` that ``path`` names, or None (not a console path, a path that
    tries to leave ``root``, or a hidden file)."""
    if path == "/":
        relative = INDEX
    elif path.startswith(PREFIX):
        try:
            relative = unquote(path[len(PREFIX) :], errors="strict")
        except UnicodeDecodeError:
            return None
    else:
        return None
    parts = relative.split("/")
    if any(not p or p.startswith(".") or "\\" in p or "\0" in p for p in parts):
        return None
    base = root.resolve()
    target = base.joinpath(*parts).resolve()
    if not target.is_relative_to(base) or not target.is_file():
        return None
    return target


def _read(path: Path) -> _File | None:
    """The file's bytes and ETag, read again only when its mtime or size changed."""
    try:
        info = path.stat()
    except OSError:
        return None
    stamp = (info.st_mtime_ns, info.st_size)
    with _lock:
        cached = _cache.get(path)
    if cached is not None and cached.stamp == stamp:
        return cached
    try:
        body = path.read_bytes()
    except OSError:
        return None
    file = _File(stamp, body, f'"{hashlib.sha256(body).hexdigest()[:32]}"')
    with _lock:
        _cache[path] = file
    return file


def _matches(header: str, etag: str) -> bool:
    """Whether an ``If-None-Match`` list names ``etag`` (weak comparison, as RFC 9110 asks)."""
    tags = [t.strip() for t in header.split(",")]
    return "*" in tags or any(t.removeprefix("W/") == etag for t in tags)
