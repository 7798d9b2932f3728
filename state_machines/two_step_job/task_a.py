#!/usr/bin/env python3
"""Task A: write a random letter.

An ordinary script, as a cron job would run it: JSON on stdin, JSON on stdout.
Reads {"seed": N} (optional; with it the letter is reproducible) and prints
{"letter": "K"}.
"""

import json
import random
import string
import sys


def main() -> None:
    text = sys.stdin.read()
    request = json.loads(text) if text.strip() else {}
    seed = request.get("seed")
    rng = random.Random(seed) if seed is not None else random.SystemRandom()
    json.dump({"letter": rng.choice(string.ascii_uppercase)}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
