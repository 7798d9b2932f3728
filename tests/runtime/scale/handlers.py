"""Task handlers for the scale tests."""

import threading

PEAK_THREADS = [0]


def double(value: int) -> int:
    """Doubles its input and records how many threads are alive."""
    PEAK_THREADS[0] = max(PEAK_THREADS[0], threading.active_count())
    return value * 2
