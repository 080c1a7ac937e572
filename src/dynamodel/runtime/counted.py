"""Counted relationships (spec 1.1 `counts:`): a child's create and delete change its
parents' counters in the same transaction as the child itself.

`create` adds 1 to each counter under the condition that the parent exists (else
`NotFoundError`, and nothing is written); `delete` subtracts 1, or, when the parent is gone
already, checks in the same transaction that it still is, so an orphan can be deleted without
bringing a parent back to life. The transaction's ClientRequestToken makes a retried call
apply once. A counter is never written from a model: the parent's save keeps the stored
value (under a condition that it is still that value), and its update takes no argument for
it.

The same update removes the counter's recount marker (`_recount_<counter>`, absent but while
a counter backfill counts the parent's children): so the backfill can tell that a child was
written while it counted, and count again (`dynamodel.runtime.migrate.counted`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dynamodel.runtime.errors import NotFoundError, VersionConflictError
from dynamodel.runtime.names import RECOUNT_MARKER
from dynamodel.runtime.schema import CounterSpec, EntitySchema, Item
from dynamodel.runtime.table import Table
from dynamodel.runtime.transact import Action
from dynamodel.runtime.write_once import key_text


def _parent_missing(counter: CounterSpec, child: str, key: Item) -> NotFoundError:
    return NotFoundError(
        f"{counter.parent} {key_text(key)} does not exist (its {counter.attribute} counts "
        f"{child} items)",
        entity=counter.parent,
        key=key_text(key),
    )


def counter_actions(table: Table, schema: EntitySchema[Any], obj: Any, delta: int) -> list[Action]:
    """The actions that move each counter `obj` counts in by `delta` (+1 create, -1 delete)."""
    actions = []
    for counter in schema.counts:
        key = counter.key(obj)
        if delta < 0 and table.get_item(key, consistent=True) is None:
            # The parent is gone: nothing to count down, as long as it stays gone.
            def appeared(
                reason: Mapping[str, Any], counter: CounterSpec = counter, key: Any = key
            ) -> VersionConflictError:
                return VersionConflictError(
                    f"{counter.parent} {key_text(key)} was created while a {schema.name} it "
                    "counts was deleted: try again",
                    entity=counter.parent,
                    key=key_text(key),
                )

            actions.append(
                Action(
                    kind="ConditionCheck",
                    request={
                        "Key": key,
                        "ConditionExpression": "attribute_not_exists(#pk)",
                        "ExpressionAttributeNames": {"#pk": "PK"},
                    },
                    on_condition_failed=appeared,
                    entity=counter.parent,
                )
            )
            continue

        def missing(
            reason: Mapping[str, Any], counter: CounterSpec = counter, key: Any = key
        ) -> NotFoundError:
            return _parent_missing(counter, schema.name, key)

        actions.append(
            Action(
                kind="Update",
                request={
                    "Key": key,
                    "UpdateExpression": "ADD #n :d REMOVE #r",
                    "ConditionExpression": "attribute_exists(#pk)",
                    "ExpressionAttributeNames": {
                        "#n": counter.attribute,
                        "#pk": "PK",
                        "#r": RECOUNT_MARKER + counter.attribute,
                    },
                    "ExpressionAttributeValues": {":d": {"N": str(delta)}},
                },
                on_condition_failed=missing,
                entity=counter.parent,
            )
        )
    return actions
