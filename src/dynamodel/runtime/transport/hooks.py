"""Which of a client's event handlers the transport's shortcuts would bypass, so that a request
takes botocore's own path whenever someone else listens.

botocore promises its users a few events around every call: `provide-client-params` and
`before-parameter-build` may rewrite the parameters, `before-call` sees (and may change) the
serialized request, `choose-signer` picks the signer and `before-sign` changes the request
before it is signed. The shortcuts skip or reorder those steps: `wire` sends a body serialized
before the parameter events ran, and `signing` answers `choose-signer` itself and signs in a
`before-sign` handler. That is invisible only while no one else handles those events.
X-Ray, Lambda Powertools and in-house middleware do, on any client, at any time.

So, per client and operation, `Watch` tells whether any handler on those events is neither
botocore's own (its built-in handlers, which the shortcuts are written against and tested
with) nor this package's:

- `params_bypassed`: a foreign `provide-client-params`, `before-parameter-build` or
  `before-call` handler: the request is serialized by botocore from the full parameters,
  after every handler has had its say (`wire.send`);
- `signing_bypassed`: a foreign `choose-signer` handler, or any `before-sign` handler but the
  runtime's own: botocore chooses and signs, after every `before-sign` handler (`signing`).

The answers are cached until the client's handlers change: botocore's emitter replaces its
lookup cache (a new dict) on every registration and unregistration, so the cache's identity
says whether the answers still hold. Where the emitter does not look like botocore's
(another implementation, a future release), every request takes botocore's path: slower,
never wrong.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import Any

PARAMS_EVENTS = ("provide-client-params", "before-parameter-build", "before-call")
CHOOSE_EVENTS = ("choose-signer",)
SIGN_EVENTS = ("before-sign",)
_OURS = "dynamodel.runtime.transport."
# botocore's modules whose handlers every client has (or may have, by its configuration: endpoint
# discovery, client-side monitoring). Not `botocore.stub`: a Stubber checks the parameters.
_BOTOCORE = frozenset(
    {
        "botocore.handlers",
        "botocore.discovery",
        "botocore.monitoring",
        "botocore.signers",
        "botocore.useragent",
        "botocore.utils",
        "botocore.regions",
        "botocore.httpchecksum",
        "botocore.retryhandler",
        "botocore.retries.standard",
        "botocore.retries.adaptive",
        "botocore.retries.special",
    }
)

_WATCHES: weakref.WeakKeyDictionary[Any, Watch] = weakref.WeakKeyDictionary()


def watch(client: Any) -> Watch:
    """The client's watch (one per client, made on first use)."""
    found = _WATCHES.get(client)
    if found is None:
        found = _WATCHES[client] = Watch(client.meta.events)
    return found


def watched(client: Any) -> Watch | None:
    """The client's watch if the transport is installed on it, else None."""
    try:
        return _WATCHES.get(client)
    except TypeError:  # an object that cannot be weakly referenced: a test's stand-in
        return None


def module_of(handler: Any) -> str:
    """The module a handler comes from ('' when it does not say: a partial, a builtin)."""
    module = getattr(handler, "__module__", None)
    return module if isinstance(module, str) else ""


def _foreign(handlers: Iterable[Any], *, botocore_allowed: bool) -> bool:
    for handler in handlers:
        module = module_of(handler)
        if module.startswith(_OURS):
            continue
        if botocore_allowed and module in _BOTOCORE:
            continue
        return True
    return False


class Watch:
    """Per operation: does the client have handlers the shortcuts would bypass?"""

    __slots__ = ("__weakref__", "_answers", "_emitter", "_seen", "_service")

    def __init__(self, events: Any) -> None:
        # A client's `meta.events` is an EventAliaser around botocore's HierarchicalEmitter.
        self._emitter = getattr(events, "_emitter", events)
        self._seen: object = None  # the emitter's lookup cache the answers were made for
        self._answers: dict[str, tuple[bool, bool]] = {}
        self._service = "dynamodb"

    def bypassed(self, operation: str) -> tuple[bool, bool]:
        """(params_bypassed, signing_bypassed) for one operation (e.g. 'PutItem')."""
        cache = getattr(self._emitter, "_lookup_cache", None)
        if cache is None:
            return True, True
        if cache is not self._seen:
            self._answers = {}
            self._seen = cache
        answer = self._answers.get(operation)
        if answer is None:
            answer = self._answers[operation] = self._compute(operation)
        return answer

    def _handlers(self, events: Iterable[str], operation: str) -> list[Any] | None:
        trie = getattr(self._emitter, "_handlers", None)
        search = getattr(trie, "prefix_search", None)
        if search is None:
            return None
        found: list[Any] = []
        for event in events:
            found.extend(search(f"{event}.{self._service}.{operation}"))
        return found

    def _compute(self, operation: str) -> tuple[bool, bool]:
        params = self._handlers(PARAMS_EVENTS, operation)
        choose = self._handlers(CHOOSE_EVENTS, operation)
        sign = self._handlers(SIGN_EVENTS, operation)
        if params is None or choose is None or sign is None:
            return True, True
        return (
            _foreign(params, botocore_allowed=True),
            _foreign(choose, botocore_allowed=True) or _foreign(sign, botocore_allowed=False),
        )
