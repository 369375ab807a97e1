"""Version numbers as Tableau writes them (``2023.3``, ``2021.1.3``, ``0.0.1-3``), compared as versions."""

from __future__ import annotations

import re

_VERSION = re.compile(r"\d+(?:\.\d+)*(?:-\d+)*")


def version_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """A sort key: dotted release numbers (trailing zeros ignored), then dash parts.

    ``2023.10 > 2023.9`` and ``2023.3.0 == 2023.3``. Raises ValueError for
    anything that is not a version number.
    """
    text = text.strip()
    if not _VERSION.fullmatch(text):
        raise ValueError(f"not a version number: {text!r}")
    release, *build = text.split("-")
    numbers = [int(part) for part in release.split(".")]
    while len(numbers) > 1 and numbers[-1] == 0:
        numbers.pop()
    return tuple(numbers), tuple(int(part) for part in build)


def is_version(text: str) -> bool:
    return bool(_VERSION.fullmatch(text.strip()))
