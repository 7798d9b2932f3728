"""The Host header check that keeps DNS rebinding out.

A web page can make the operator's browser send requests to a loopback server under a name the
page controls (``evil.example`` resolving to 127.0.0.1); only the Host header tells them apart.
A request is answered only when its Host names this server: the loopback names when it listens
on loopback, the address it is bound to, or a name the operator allowed (``--allowed-host``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
ANY = "*"


class HostCheck:
    """Whether a Host header names this server (port ignored, case-insensitive)."""

    def __init__(self, bound: str, allowed: Iterable[str] = ()) -> None:
        names = {_name(bound)}
        if is_loopback(bound) or bound in ("", "0.0.0.0", "::"):
            names.update(LOOPBACK_NAMES)
        extra = {_name(a) for a in allowed if a}
        self.any = ANY in extra
        self.names = frozenset((names | extra) - {ANY, ""})

    def allows(self, host: str | None) -> bool:
        if self.any:
            return True
        if not host:
            return False
        return _name(_strip_port(host)) in self.names

    def message(self, host: str | None) -> str:
        shown = ", ".join(sorted(self.names))
        return (
            f"Host header {host!r} does not name this server (it answers to: {shown}); "
            "start asl serve with --allowed-host NAME to answer to another name"
        )


def _strip_port(host: str) -> str:
    host = host.strip()
    if host.startswith("["):
        end = host.find("]")
        rest = host[end + 1 :] if end > 0 else "?"
        if end < 0 or (rest and not (rest[0] == ":" and rest[1:].isdigit())):
            return "?"  # malformed: names nothing
        return host[1:end]
    name, sep, port = host.rpartition(":")
    if sep and port.isdigit() and ":" not in name:
        return name
    return host if sep == "" else "?"


def _name(text: str) -> str:
    text = text.strip().lower().rstrip(".")
    return text[1:-1] if text.startswith("[") and text.endswith("]") else text


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or address to listen on) is loopback only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


__all__ = ["ANY", "LOOPBACK_NAMES", "HostCheck", "is_loopback"]
