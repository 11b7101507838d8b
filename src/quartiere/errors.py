"""The exceptions quartiere raises for problems a user can fix.

The CLI prints them as one line and maps them to exit codes; everything else is an internal error.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "QuartiereError",
    "ConfigError",
    "InputError",
    "Interrupted",
    "EXIT_CONFIG",
    "EXIT_INPUT",
    "EXIT_INTERNAL",
    "EXIT_CHANGED",
]

EXIT_INTERNAL = 1
EXIT_CONFIG = 2
EXIT_INPUT = 3
EXIT_CHANGED = 4


class QuartiereError(Exception):
    """A problem the user can fix; printed as a single line, never with a traceback."""

    exit_code = EXIT_INTERNAL

    def __init__(self, message: str, path: str | Path | None = None, where: str | None = None):
        self.path = None if path is None else str(path)
        self.where = where
        self.message = message
        super().__init__(self.__str__())

    def __str__(self) -> str:
        parts = [p for p in (self.path, self.where) if p]
        prefix = ": ".join(parts)
        return f"{prefix}: {self.message}" if prefix else self.message


class ConfigError(QuartiereError):
    """The configuration is missing, malformed or out of range."""

    exit_code = EXIT_CONFIG


class InputError(QuartiereError):
    """An input data file is missing, unreadable or fails validation."""

    exit_code = EXIT_INPUT


class Interrupted(KeyboardInterrupt):
    """A signal stopped a command; the message says what state its outputs are in."""

    def __init__(self, outcome: str) -> None:
        self.outcome = outcome
        super().__init__(outcome)
