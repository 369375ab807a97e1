"""Suggestions for misspelt values: the closest allowed value, for every check that suggests one."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

#: How alike a value and an allowed one must be (difflib's ratio) to be suggested.
SIMILARITY = 0.6


def closest(value: str, allowed: Iterable[str]) -> str | None:
    """The allowed value most like ``value`` (ignoring case), or None when none is close or it is allowed."""
    choices = {str(choice).lower(): str(choice) for choice in allowed}
    if value in choices.values():
        return None
    match = difflib.get_close_matches(value.lower(), list(choices), n=1, cutoff=SIMILARITY)
    return choices[match[0]] if match else None


def did_you_mean(value: str, allowed: Iterable[str]) -> str | None:
    """``did you mean 'username'?`` for a value close to an allowed one, else None."""
    match = closest(value, allowed)
    return None if match is None else f"did you mean {match!r}?"
