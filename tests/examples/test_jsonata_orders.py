"""JSONata orders: Assign, Output, Choice Conditions and a Map over Items."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.examples.support import Example, execute

EXAMPLE = Example("jsonata_orders")


def orders(*prices: float, tax: float = 0.1) -> dict[str, Any]:
    """One order per price, each with a single line."""
    return {
        "customer": "c@example.com",
        "taxRate": tax,
        "orders": [
            {"id": f"O-{n}", "lines": [{"sku": "x", "qty": 1, "price": p}]}
            for n, p in enumerate(prices, 1)
        ],
    }


@pytest.mark.parametrize(
    ("given", "shipping", "grand_total", "largest"),
    [
        (orders(200), 0, 220, "O-1"),  # free shipping from 100
        (orders(50, 40, 10, tax=0), 0, 100, "O-1"),  # exactly 100 is free too
        (orders(10, 20, 30), 4.5, 70.5, "O-3"),  # more than two orders
        (orders(20), 7.5, 29.5, "O-1"),  # the Default branch
    ],
    ids=["free", "free-at-100", "three-orders", "standard"],
)
def test_shipping_rules(
    given: dict[str, Any], shipping: float, grand_total: float, largest: str, at_root: Path
) -> None:
    result = execute(EXAMPLE, given)
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["shipping"] == shipping
    assert result.output["grandTotal"] == pytest.approx(grand_total)
    assert result.output["largestOrder"] == largest
    assert [o["position"] for o in result.output["orders"]] == list(
        range(1, len(given["orders"]) + 1)
    )


def test_variables_are_recorded_in_the_history(at_root: Path) -> None:
    result = execute(EXAMPLE)
    assigned = {
        e["stateExitedEventDetails"]["name"]: {
            k: json.loads(v) for k, v in e["stateExitedEventDetails"]["assignedVariables"].items()
        }
        for e in result.history
        if "assignedVariables" in e.get("stateExitedEventDetails", {})
    }
    assert assigned["Prepare"] == {
        "customer": "ada@example.com",
        "taxRate": 0.2,
        "freeShippingFrom": 100,
    }
    assert assigned["PriceOrders"]["orderTotal"] == 53.4
    assert assigned["Shipping"] == {"shipping": 4.5}


def test_a_missing_field_fails_with_a_query_error(at_root: Path) -> None:
    result = execute(EXAMPLE, {"customer": "c", "taxRate": 0.1})  # no "orders"
    assert (result.status, result.error) == ("FAILED", "States.QueryEvaluationError")
