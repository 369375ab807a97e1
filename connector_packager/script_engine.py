"""Running connector JavaScript in an embedded engine (QuickJS, through the ``quickjs-ng`` package).

Every run gets a fresh engine with a CPU-time limit, a memory limit and a stack limit; scripts see only
the standard JavaScript built-ins and our ``script_runtime.js`` (no files, no network, no host objects).
A script that exceeds a limit ends with :class:`ScriptLimit`, never with a hang or a crash.
"""

from __future__ import annotations

import importlib
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

#: Seconds of CPU time one run may use (the dialog logic plus every script).
TIME_LIMIT_SECONDS = 2.0
#: Bytes the engine may allocate in one run.
MEMORY_LIMIT_BYTES = 64 * 1024 * 1024
#: Bytes of native stack the engine may use (deep recursion ends with a RangeError).
STACK_LIMIT_BYTES = 512 * 1024

_POSITION = re.compile(r"at (?:\S+ )?\(?<input>:(\d+):(\d+)\)?")


class ScriptLimit(Exception):
    """A run exceeded the time, memory or stack limit, or the engine refused it."""


@dataclass(frozen=True)
class SyntaxProblem:
    """Why a script file does not evaluate: ``syntax``, an ``exception`` at top level, or a ``limit``."""

    message: str
    line: int | None
    column: int | None
    kind: str = "syntax"


@cache
def runtime_source() -> str:
    """The text of ``script_runtime.js`` (shipped as package data; the preview page embeds the same file)."""
    return Path(__file__).with_name("script_runtime.js").read_text(encoding="utf-8")


@cache
def helper_constants() -> dict[str, str]:
    """connectionHelper's constants (``attributeServer`` -> ``server``, ...), as the runtime defines them."""
    context = _context()
    context.eval(runtime_source())
    constants: dict[str, str] = json.loads(context.eval("cpRuntime.constantsJson()"))
    return constants


@cache
def engine() -> Any:
    """The QuickJS engine module, imported when a script first runs.

    The ``quickjs`` package's ``__init__`` re-exports the engine classes of its ``_quickjs`` extension and adds a
    threaded ``Function`` helper we do not use, whose import (``concurrent.futures``) costs more than the engine:
    on ``package`` that is an eighth of the run. So the extension is imported alone; a test checks that its classes
    are the package's, and without it (a future release) the package is used.
    """
    try:
        return importlib.import_module("_quickjs")
    except ImportError:
        return importlib.import_module("quickjs")


def _context() -> Any:
    context = engine().Context()
    context.set_memory_limit(MEMORY_LIMIT_BYTES)
    context.set_max_stack_size(STACK_LIMIT_BYTES)
    context.set_time_limit(TIME_LIMIT_SECONDS)
    return context


def _limit_message(exc: Exception) -> str | None:
    """What limit an engine error stands for, or None when it is an ordinary script error."""
    text = str(exc)
    if "interrupted" in text:
        return f"the scripts ran longer than {TIME_LIMIT_SECONDS:g} s of CPU time and were stopped"
    if "out of memory" in text or "string too long" in text or "invalid array length" in text:
        return f"the scripts needed more than {MEMORY_LIMIT_BYTES // (1024 * 1024)} MB of memory and were stopped"
    if "stack" in text.lower() and ("overflow" in text.lower() or "exceeded" in text.lower()):
        return "the scripts recursed too deeply and were stopped"
    return None


def _first_line(exc: Exception, limit: int = 1000) -> str:
    """The first line of an engine error, cut to ``limit`` characters (a script chooses what it throws)."""
    line = next(iter(str(exc).splitlines()), "") or type(exc).__name__
    return line if len(line) <= limit else line[:limit] + "…"


def evaluate(connector: dict[str, Any], values: dict[str, str], options: dict[str, str]) -> dict[str, Any]:
    """Run ``cpRuntime.evaluate`` on the connector model (see :mod:`connection_model`) and the values.

    Raises :class:`ScriptLimit` when the run hits a limit. Script exceptions are part of the result.
    """
    quickjs = engine()
    context = _context()
    try:
        context.eval(runtime_source())
        context.eval("cpRuntime.blockUnavailable()")
        run = context.eval("cpRuntime.evaluateJson")
        output = run(json.dumps({"connector": connector, "values": values, "options": options}))
    except (quickjs.JSException, quickjs.StackOverflow) as exc:
        message = _limit_message(exc)
        raise ScriptLimit(message or f"the script engine stopped: {_first_line(exc)}") from None
    if not isinstance(output, str):
        raise ScriptLimit("the script runtime returned no result")
    try:
        result = json.loads(output)
    except (ValueError, RecursionError):
        result = None
    if not _matches(result, _RESULT_SHAPE):
        # A script that changed the built-ins the runtime relies on (Object.prototype.toJSON, ...) can bend its
        # output; what does not have the documented shape is refused rather than read.
        raise ScriptLimit(
            "the scripts changed JavaScript's built-in objects so that the runtime's result is unreadable"
        )
    checked: dict[str, Any] = result
    return checked


#: What ``cpRuntime.evaluate`` returns, as :func:`_matches` reads it: a type, None, a tuple of alternatives,
#: a one-item list (every item), a dict (those keys) or a ``{"*": shape}`` dict (every value).
_TEXT = (str, None)
_RESULT_SHAPE: Any = {
    "attributes": [{"name": str, "value": str}],
    "visible": {"*": bool},
    "options": {"*": [str]},
    "problems": [{"field": str, "problem": str, "message": str}],
    "signIn": bool,
    "driver": {"name": _TEXT, "matched": (bool, None), "source": str},
    "normalizer": ([{"name": str, "set": bool}], None),
    "connectString": _TEXT,
    "url": _TEXT,
    "parts": ([str], None),
    "properties": ({"*": str}, None),
    "propertiesStyle": _TEXT,
    "logs": [str],
    "error": (
        {"file": str, "role": str, "kind": str, "message": str, "line": (int, None), "column": (int, None)},
        None,
    ),
}


def _matches(value: Any, shape: Any) -> bool:
    if isinstance(shape, tuple):
        return any(_matches(value, alternative) for alternative in shape)
    if shape is None:
        return value is None
    if isinstance(shape, type):
        return isinstance(value, shape) and (shape is bool or not isinstance(value, bool))
    if isinstance(shape, list):
        return isinstance(value, list) and all(_matches(item, shape[0]) for item in value)
    if not isinstance(value, dict):
        return False
    if "*" in shape:
        return all(_matches(item, shape["*"]) for item in value.values())
    return all(key in value and _matches(value[key], inner) for key, inner in shape.items())


#: Evaluates a file and describes what it threw. The thrown value is the file's: describing it may throw again
#: (getters, proxies), which is said so. The answer is cut to a bounded length with the ``slice`` captured before
#: the file runs: that also gives a flat string (the binding cannot convert QuickJS's concatenated "ropes").
_CHECK_SOURCE = """var cpCheck = (function () {
  var cut = String.prototype.slice, toText = String, SyntaxErrorType = SyntaxError;
  function text(value) { return cut.call(toText(value), 0, 4000); }
  return function (source) {
    try { (0, eval)(source); return ''; } catch (e) {
      var kind = 'exception';
      try {
        kind = e instanceof SyntaxErrorType ? 'syntax' : 'exception';
        return cut.call(kind + '\\n' + text(e && e.name) + ': ' + text(e && e.message) + '\\n' + text(e && e.stack), 0);
      } catch (again) {
        return kind + '\\nthe file threw a value that cannot be shown (reading it threw again)\\n';
      }
    }
  };
})();"""


def syntax_problem(source: str) -> SyntaxProblem | None:
    """Evaluate ``source`` as Tableau does (the file's value should be a function; it is not called).

    Returns the engine's syntax error with its position, an exception thrown by top-level code, or a
    limit that evaluating the file hit; None when the file evaluates. Top-level code runs here, inside the
    same limits as every script run.
    """
    quickjs = engine()
    context = _context()
    context.eval(_CHECK_SOURCE)
    try:
        answer = context.eval("cpCheck")(source)
    except (quickjs.JSException, quickjs.StackOverflow) as exc:
        return SyntaxProblem(_limit_message(exc) or _first_line(exc), None, None, "limit")
    if not answer:
        return None
    kind, _, rest = str(answer).partition("\n")
    first, _, stack = rest.partition("\n")
    if kind == "exception":
        first = _limit_message(Exception(first)) or first
    match = _POSITION.search(stack)
    if match is None:
        return SyntaxProblem(first, None, None, kind)
    return SyntaxProblem(first, int(match.group(1)), int(match.group(2)), kind)
