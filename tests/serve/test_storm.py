"""A connection storm: idle connections hold no thread, and after 1,500 connections open,
make a request each and close at once, a normal request is answered."""

from __future__ import annotations

import contextlib
import socket
import threading

from runtime.serve.http import WORKERS

STORM = 1_500
HANG_GUARD = 60.0  # seconds: a guard against hanging forever, not a measurement


def test_a_storm_of_connections_opening_and_closing(live):
    port = int(live.url.rsplit(":", 1)[1])
    before = threading.active_count()
    socks = []
    try:
        for _ in range(STORM):
            sock = socket.create_connection(("127.0.0.1", port), timeout=HANG_GUARD)
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
            socks.append(sock)
        answered = sum(1 for sock in socks if sock.recv(4096).startswith(b"HTTP/1.1 200"))
        assert answered == STORM
        # 1,500 idle keep-alive connections cost no thread each
        assert threading.active_count() - before <= WORKERS
    finally:
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.close()
    assert live.sfn.list_state_machines()["stateMachines"] == []
    assert live.sfn.describe_state_machine(stateMachineArn=live.machine())["status"] == "ACTIVE"
