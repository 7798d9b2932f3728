"""Price an order and give it the next order number.

The subtotal is the sum of each line's price times its quantity; the total adds the tax rate
of ``TAX_RATE``. Order numbers come from an atomic counter item (``orderId`` ``counter``) in
the ``ORDERS_TABLE`` table, so two orders never get the same one.
"""

import os
from decimal import Decimal

import boto3


def handler(event, context):
    rate = Decimal(os.environ["TAX_RATE"])
    subtotal = sum(Decimal(str(line["price"])) * int(line["quantity"]) for line in event["lines"])
    total = (subtotal * (1 + rate)).quantize(Decimal("0.01"))
    return {
        "orderId": f"order-{next_order_number():06d}",
        "subtotal": str(subtotal.quantize(Decimal("0.01"))),
        "total": str(total),
    }


def next_order_number():
    table = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])
    answer = table.update_item(
        Key={"orderId": "counter"},
        UpdateExpression="ADD #next :one",
        ExpressionAttributeNames={"#next": "next"},
        ExpressionAttributeValues={":one": 1},
        ReturnValues="UPDATED_NEW",
    )
    return int(answer["Attributes"]["next"])
