"""The names the runtime stores besides an entity's own attributes, in one place.

Generated code, the runtime and the compiler (sample items, item sizes, the Workbench model,
IAM conditions) must spell them alike. This module imports nothing, so the compiler can use
them without importing pydantic or botocore.
"""

from __future__ import annotations

TYPE_ATTRIBUTE = "_type"  # every item names its entity, so mixed partitions can be assembled
VERSION_ATTRIBUTE = "version"
OWNER_ATTRIBUTE = "_owner"  # a unique guard's owner: the table key of the item holding the value
ENTITY_ATTRIBUTE = "_entity"  # a guard item's entity
GUARD_TYPE = "_unique"  # the `_type` of unique-guard items
MARKER_TYPE = "_applied"  # the `_type` of apply-once markers; stream parsers skip them
MARKER_TAG = "_applied"  # the markers' key namespace: entity tags start with a capital
# A counter's recount marker, `_recount_<counter>` on the parent item: a counter backfill
# sets it before it counts the parent's children, and every create or delete of a child
# removes it in the same transaction as the count's change (`runtime/counted.py`), so the
# backfill knows whether a child was written while it counted (`runtime/migrate/counted.py`).
RECOUNT_MARKER = "_recount_"
