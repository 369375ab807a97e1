"""Logging for one run: a coloured console on stderr and a plain log file with every level."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from connector_packager.errors import InputOutputProblem

LOGGER_NAME = "connector_packager"
LOG_FILE_NAME = "packaging_log.txt"
FILE_FORMAT = "%(asctime)s [%(levelname)s] | %(message)s"
#: ``extra=`` for a record that goes to the log file only (what the command prints on standard output anyway).
FILE_ONLY = {"file_only": True}


def _not_file_only(record: logging.LogRecord) -> bool:
    return not getattr(record, "file_only", False)


def use_colour(stream: TextIO) -> bool:
    """Colour on a terminal; a non-empty NO_COLOR turns it off and a non-empty FORCE_COLOR on (an empty one
    counts as unset, as no-color.org asks; colorlog alone would count it)."""
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


def _console_handler(verbose: bool) -> logging.Handler:
    import colorlog

    stream = sys.stderr
    handler = logging.StreamHandler(stream)
    if use_colour(stream):
        handler.setFormatter(
            colorlog.ColoredFormatter(
                "%(log_color)s%(message)s",
                stream=stream,
                force_color=True,
                log_colors={"DEBUG": "cyan", "WARNING": "yellow", "ERROR": "red", "CRITICAL": "bold_red"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(message)s"))
    handler.setLevel(logging.DEBUG if verbose else logging.INFO)
    handler.addFilter(_not_file_only)
    return handler


class _LogFile(logging.FileHandler):
    """The log file. A write that fails (a full disk) stops the run with one message and exit 2, where logging
    would print a traceback for every later line and carry on."""

    def handleError(self, record: logging.LogRecord) -> None:
        exc = sys.exc_info()[1]
        logging.getLogger(LOGGER_NAME).removeHandler(self)
        stream, self.stream = self.stream, None
        with contextlib.suppress(OSError, ValueError):
            if stream is not None:
                stream.close()
        reason = (exc.strerror if isinstance(exc, OSError) else None) or exc
        raise InputOutputProblem(
            f"cannot write the log file {self.baseFilename}: {reason}",
            hint="give -l/--log a folder on a disk with free space",
        ) from None


@contextmanager
def run_logging(log_dir: Path | None, verbose: bool) -> Iterator[logging.Logger]:
    """Attach the run's handlers to the project logger, and take them off again afterwards.

    Handlers are built per run (not at import) because click's test runner
    swaps the standard streams between invocations.
    """
    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    handlers = [_console_handler(verbose)]
    if log_dir is not None:
        log_file = log_dir / LOG_FILE_NAME
        try:
            file_handler = _LogFile(log_file, mode="w", encoding="utf-8")
        except OSError as exc:
            raise InputOutputProblem(
                f"cannot write the log file {log_file}: {exc.strerror or exc}",
                hint="give -l/--log a folder you can write to",
            ) from None
        file_handler.setFormatter(logging.Formatter(FILE_FORMAT))
        file_handler.setLevel(logging.DEBUG)
        handlers.append(file_handler)
    for handler in handlers:
        logger.addHandler(handler)
    try:
        yield logger
    finally:
        for handler in handlers:
            logger.removeHandler(handler)
            handler.close()
