#!/usr/bin/env python3
"""Task B: pick a fruit starting with the letter task A wrote.

Reads {"letter": "K", "seed": N} on stdin (seed optional) and prints
{"letter": "K", "fruit": "Kiwi"}. An unknown letter exits with status 3.
"""

import json
import random
import sys

FRUITS = {
    "A": ["Apple", "Apricot", "Avocado"],
    "B": ["Banana", "Blackberry", "Blueberry"],
    "C": ["Cherry", "Clementine", "Cranberry"],
    "D": ["Date", "Damson", "Dragonfruit"],
    "E": ["Elderberry", "Eggplant"],
    "F": ["Fig", "Feijoa"],
    "G": ["Grape", "Grapefruit", "Guava"],
    "H": ["Honeydew", "Huckleberry"],
    "I": ["Ilama", "Imbe"],
    "J": ["Jackfruit", "Jujube"],
    "K": ["Kiwi", "Kumquat"],
    "L": ["Lemon", "Lime", "Lychee"],
    "M": ["Mango", "Melon", "Mulberry"],
    "N": ["Nectarine", "Nance"],
    "O": ["Orange", "Olive"],
    "P": ["Papaya", "Peach", "Pear", "Plum"],
    "Q": ["Quince"],
    "R": ["Raspberry", "Rambutan"],
    "S": ["Strawberry", "Starfruit"],
    "T": ["Tangerine", "Tamarind"],
    "U": ["Ugli fruit", "Umbu"],
    "V": ["Voavanga"],
    "W": ["Watermelon", "Wolfberry"],
    "X": ["Xigua", "Ximenia"],
    "Y": ["Yuzu", "Yangmei"],
    "Z": ["Zucchini"],
}


def main() -> None:
    request = json.load(sys.stdin)
    letter = str(request.get("letter", "")).upper()
    choices = FRUITS.get(letter)
    if not choices:
        print(f"no fruit starts with {letter!r}", file=sys.stderr)
        sys.exit(3)
    seed = request.get("seed")
    rng = random.Random(seed) if seed is not None else random.SystemRandom()
    json.dump({"letter": letter, "fruit": rng.choice(choices)}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
