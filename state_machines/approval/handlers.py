"""The order workflow's steps; ``request_approval`` is the "send the approval e-mail" side.

It writes the request, with its task token, to the outbox (``$APPROVAL_OUTBOX``, default
``.asl/outbox``) and tells how to answer it. Orders up to ``AUTO_APPROVE_LIMIT`` are approved
on the spot: the handler answers its own token through the callback API, as an approvals
service would.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

AUTO_APPROVE_LIMIT = 100


def price_order(order: dict[str, Any]) -> float:
    """The order's total."""
    return round(sum(line["quantity"] * line["price"] for line in order["lines"]), 2)


def request_approval(request: dict[str, Any]) -> dict[str, Any]:
    """Send the approval request; the state waits until someone answers its token."""
    token = request["taskToken"]
    if request["total"] <= AUTO_APPROVE_LIMIT:
        from runtime.callbacks import current_hub

        answer = {"approved": True, "approver": "auto", "note": "under the approval limit"}
        current_hub().send_task_success(token, json.dumps(answer))
        return {"MessageId": None, "autoApproved": True}
    outbox = Path(os.environ.get("APPROVAL_OUTBOX", ".asl/outbox"))
    outbox.mkdir(parents=True, exist_ok=True)
    message = {
        "to": request["approver"],
        "subject": f"Approve order {request['orderId']} ({request['total']})?",
        "orderId": request["orderId"],
        "total": request["total"],
        "taskToken": token,
    }
    (outbox / f"{request['orderId']}.json").write_text(json.dumps(message, indent=2) + "\n")
    print(
        f"approval requested from {request['approver']} for order {request['orderId']}:\n"
        f"  approve: asl task success {token} --output '{{\"approved\": true}}'\n"
        f"  reject:  asl task failure {token} --error Approval.Rejected --cause 'why'",
        file=sys.stderr,
    )
    return {"MessageId": str(uuid.uuid4())}


def ship(order: dict[str, Any]) -> dict[str, Any]:
    """Ship an approved order."""
    return {
        "orderId": order["orderId"],
        "status": "SHIPPED",
        "total": order["total"],
        "approvedBy": order["approval"].get("approver", "unknown"),
    }
