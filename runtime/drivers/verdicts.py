"""Remembered validation verdicts: ``asl run`` of an unchanged definition skips validation.

Validating a definition (its JSON Schema, then the rules) costs more at start-up than running a
small machine: jsonschema alone takes about 90 ms to import. The first ``asl run`` of a definition
validates it; when it is valid, an empty marker file named by a hash of the definition's text, its
type (STANDARD or EXPRESS) and this engine's code is written to the cache folder. A later run of
the same text by the same engine finds the marker and only parses and compiles it. An invalid
definition is never remembered: it is validated, and reported, every time. A changed engine
(another version, an edited source file) has other hashes, so no verdict outlives the code that
reached it.

The folder is ``$ASL_CACHE_DIR``, else ``$XDG_CACHE_HOME/asl-engine``, else
``~/.cache/asl-engine``; ``ASL_CACHE_DIR=off`` turns remembering off. A folder that cannot be read
or written only means validating again.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

import asl

_OFF = ("", "0", "off", "false", "no")

enabled = False
"""Whether the runner consults remembered verdicts: set by the ``asl`` command, not by the
Python API (a library call writes nothing to the user's cache folder)."""


def folder() -> Path | None:
    """Where verdicts are kept, or None when remembering is off."""
    chosen = os.environ.get("ASL_CACHE_DIR")
    if chosen is not None:
        return None if chosen.strip().lower() in _OFF else Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "asl-engine"


@lru_cache(maxsize=1)
def _engine_fingerprint() -> str:
    """The engine's code as it is on disk: every file of the ``asl`` package, by name, size and
    modification time (a release or an edit changes it)."""
    digest = hashlib.sha256()
    root = Path(asl.__file__).parent
    for path in sorted(root.rglob("*")):
        if path.suffix in (".py", ".json"):
            stat = path.stat()
            digest.update(f"{path.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _marker(text: str | bytes, kind: str) -> Path | None:
    where = folder()
    if where is None:
        return None
    data = text.encode() if isinstance(text, str) else text
    digest = hashlib.sha256(f"{_engine_fingerprint()}\n{kind}\n".encode() + data).hexdigest()
    return where / "valid" / digest


def known_valid(text: str | bytes, kind: str) -> bool:
    """Whether this exact definition text was found valid (as ``kind``) by this engine before."""
    marker = _marker(text, kind)
    try:
        return marker is not None and marker.is_file()
    except OSError:
        return False


def remember_valid(text: str | bytes, kind: str) -> None:
    """Record that the definition text is valid as ``kind`` (best effort)."""
    marker = _marker(text, kind)
    if marker is None:
        return
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError:
        pass


def load(text: str | bytes, kind: str, filename: str) -> asl.StateMachine:
    """``asl.load`` that validates a definition only when no verdict is remembered for it."""
    if known_valid(text, kind):
        return asl.load(text, state_machine_type=kind, filename=filename, trusted=True)
    machine = asl.load(text, state_machine_type=kind, filename=filename)
    remember_valid(text, kind)
    return machine
