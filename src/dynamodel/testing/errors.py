"""The plugin's errors: each says what is wrong and what to set, and fails the test with that
message instead of a traceback. Standard library only, as the plugin module is."""

from __future__ import annotations


class DynamodelTestingError(Exception):
    """A test table cannot be provided as configured."""


class SettingsError(DynamodelTestingError):
    """The options contradict each other or are unsafe (the message says what to pass)."""


class ProjectError(DynamodelTestingError):
    """The package or its repository class cannot be found (the message says what to set)."""


class BackendUnavailable(DynamodelTestingError):
    """The backend cannot be used (the message says why and what to do)."""


class SeedError(DynamodelTestingError):
    """The samples cannot be written (the message says why and what to do)."""
