"""The payment gateway for the error-handling example: a Python function run as a Task.

The input says how the gateway behaves, so every run is reproducible:

* ``"gatewayFailures": n`` - the first n calls in an execution time out (``GatewayTimeout``);
* ``"card": "0000"`` - the card is declined (``CardDeclined``), which no retry can fix.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

_calls: Counter[str] = Counter()
_lock = threading.Lock()


class GatewayTimeout(Exception):
    """The gateway did not answer: transient, worth retrying."""


class CardDeclined(Exception):
    """The bank said no: permanent."""


def charge(event: dict[str, Any]) -> dict[str, Any]:
    """Charge the order's card; fail as the input asks (see the module docstring)."""
    with _lock:
        _calls[event["execution"]] += 1
        call = _calls[event["execution"]]
    if event["card"] == "0000":
        raise CardDeclined(f"card ending {event['card']} was declined")
    if call <= event.get("gatewayFailures", 0):
        raise GatewayTimeout(f"gateway timed out (call {call})")
    return {"chargeId": f"ch-{event['orderId']}", "amount": event["amount"]}
