"""One cache of botocore's data files for every session of the test process.

botocore reads and parses its JSON data (the endpoints, the DynamoDB service model, its
endpoint rule set) once per *session*, and `default_client` builds a session per client: the
parsing was most of the ~40-100 ms each test's fresh client took, hundreds of times a run.
`install()` gives every loader botocore creates one process-wide cache in place of its own
(`Loader._cache`, what botocore's `instance_cache` memoizes into), keyed as botocore keys it
plus the loader's search paths at the time of the call (boto3 adds its own to each loader).
Clients are built exactly as before, from the same parsed data that clients of one session
already share; only the re-reading is gone.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import Any

import botocore.session

_LOADED: dict[Hashable, Any] = {}
_LOCK = threading.Lock()
_ORIGINAL = botocore.session.create_loader


class _SharedCache:
    """Stands in for one loader's `_cache` dict (`in`, `[key]`, `[key] = value`)."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def _key(self, key: Hashable) -> Hashable:
        return (tuple(self._loader.search_paths), key)

    def __contains__(self, key: Hashable) -> bool:
        return self._key(key) in _LOADED

    def __getitem__(self, key: Hashable) -> Any:
        return _LOADED[self._key(key)]

    def __setitem__(self, key: Hashable, value: Any) -> None:
        with _LOCK:
            _LOADED.setdefault(self._key(key), value)


def _create_loader(search_path_string: str | None = None) -> Any:
    loader = _ORIGINAL(search_path_string)
    loader._cache = _SharedCache(loader)
    return loader


def install() -> None:
    """Make the loaders of sessions created from now on share the cache (idempotent)."""
    botocore.session.create_loader = _create_loader
