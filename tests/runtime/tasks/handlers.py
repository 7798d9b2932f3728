"""Handlers the task-dispatch tests route to (imported as tests.runtime.tasks.handlers)."""

from __future__ import annotations

import decimal
import threading
import time

from asl import StatesError

calls: list[tuple[str, object]] = []
_lock = threading.Lock()


class OrderRejected(Exception):
    pass


def echo(event, context):
    return event


def describe_context(event, context):
    return {
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "aws_request_id": context.aws_request_id,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "remaining": context.get_remaining_time_in_millis(),
    }


def reject(event, context=None):
    raise OrderRejected(f"order {event['id']} rejected")


def returns_set(event, context=None):
    return {1, 2}


def returns_tuple(event, context=None):
    return {"pair": (1, 2), "amount": decimal.Decimal("2.50"), "count": decimal.Decimal("3")}


def exits(event, context=None):
    raise SystemExit(3)


def sleepy(event, context=None):
    time.sleep(event.get("seconds", 0.3))
    with _lock:
        calls.append(("sleepy", event))
    return event


def double(value):
    return value * 2


def raise_states_error(value):
    raise StatesError("Orders.OutOfStock", "no more widgets")


async def async_double(value):
    return value * 2


async def async_reject(value):
    raise OrderRejected("async no")


not_a_function = 42


def wrap(value):
    return {"wrapped": value}


def send_message(params):
    return {"MessageId": "m-1", "Body": params["MessageBody"]}


def large(event, context=None):
    return "a" * (257 * 1024)
