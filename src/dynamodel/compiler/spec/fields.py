"""The keys each part of a spec accepts, with their documentation.

One table serves both the reader (unknown keys are errors, with a "did you mean") and the
JSON Schema emitter, so the two cannot drift apart.
"""

from __future__ import annotations

TOP_LEVEL = {
    "version": "Spec language version. Only 1 exists.",
    "table": "The DynamoDB table: a name, or a mapping of table settings.",
    "entities": "Entity types stored in the table, by PascalCase name.",
    "access_patterns": "The reads the application needs, by snake_case name.",
    "functions": "Lambda function groups by snake_case name: the patterns and writes each calls "
    "(`dynamodel iam` grants exactly those).",
}

TABLE = {
    "name": "Table name; CloudFormation appends `-<Stage>`.",
    "billing": "`on_demand` (default) or `provisioned`.",
    "read_capacity": "Read capacity units (provisioned billing only; also used for each GSI).",
    "write_capacity": "Write capacity units (provisioned billing only; also used for each GSI).",
    "stream": "DynamoDB stream view type: keys_only, new_image, old_image, new_and_old_images.",
    "point_in_time_recovery": "Enable point-in-time recovery (default true).",
    "deletion_protection": "Enable deletion protection (default true).",
    "indexes": "GSI strategy: `overloaded` (default, generic GSI1PK/GSI1SK shared by entities) "
    "or `dedicated` (one GSI per key, named after its first pattern).",
    "tenant": "The str attribute naming a tenant (e.g. `workspace_id`): `dynamodel iam` limits "
    "partitions keyed by it to the principal's tag of that name.",
}

ENTITY = {
    "id": "Identity: the attributes that name exactly one item.",
    "attributes": "Attributes by snake_case name: a type string or a mapping.",
    "unique": "Attributes (or lists of attributes, for composites) unique among this entity.",
    "version": "Optimistic locking with a version number (default: true; aggregate roots "
    "are always versioned).",
    "members": "Aggregate members: `field: Entity`; the member's id starts with this id.",
    "counts": "Parents' int counters of this entity's items (spec 1.1), as `Parent.attribute`: "
    "create adds 1, delete subtracts 1, in the same transaction.",
    "collection": "Attributes outside the id that the table key may use, so that the entity "
    "can live in the item collection (base-table partition) of another entity with the same "
    "values; part of every key argument, never changed by an update.",
    "size": "Estimated average item size (`1200` bytes, or `1.5 KB`) for capacity and cost "
    "estimates; default: estimated from the attribute types.",
    "per_partition": "How many of this entity's items an aggregate or view partition typically "
    "holds (capacity estimates of reads that return them all; default 10).",
    "write_rates": "Average writes per second by method kind (`{create: 2, update: 10}`; "
    "create, save, update, delete) for the monthly cost estimate.",
    "description": "Free text, copied into generated docstrings.",
}

ATTRIBUTE = {
    "type": "str, int, decimal, float, bool, datetime, date, bytes, list[T], set[str], "
    "set[int], dict; `T?` for optional.",
    "optional": "The attribute may be absent (None).",
    "default": "Value used when the attribute is not given.",
    "enum": "Allowed values (str attributes only).",
    "auto": "Generated value: ulid or uuid (str), now (datetime).",
    "ttl": "This datetime is the table's TTL attribute (stored as epoch seconds).",
    "derived": "Computed by the model from another attribute (spec 1.1): lower(a), upper(a), "
    "prefix(a, n), date(a), month(a), year(a), hour(a); never set by the caller.",
    "copy_of": "A denormalized copy of another entity's attribute (spec 1.1), `Entity.attr`: "
    "filled from the source when this item is written, kept current by the stream handler "
    "(`<package>/copies.py`); never set by the caller.",
    "description": "Free text, copied into generated docstrings.",
}

PATTERN = {
    "entity": "The entity this pattern reads (exactly one of entity or view).",
    "view": "A denormalized view: `{field: Entity}` for one item, `{field: [Entity]}` for a "
    "list, or `{field: {entity: ..., by: [...], where: {...}}}` (an entity in two roles).",
    "by": "Attributes compared for equality (empty: one list over all items).",
    "sort": "An attribute or a list: leading parts by equality, the last may take a range.",
    "order": "`asc` (default) or `desc`.",
    "where": "Constant equalities selecting a subset (a sparse index, never a filter).",
    "limit": "Default page size.",
    "consistent": "The read must be strongly consistent (base table only).",
    "shards": "Spread a hot partition over N write shards; reads fan out and merge.",
    "rate": "Average calls per second, for the monthly cost estimate.",
    "description": "Free text, copied into generated docstrings.",
}

VIEW_FIELD = {
    "entity": "`Entity` for one item, `[Entity]` for a list.",
    "by": "This field's attributes that take the view's `by` values, position by position "
    "(default: the view's `by` attributes themselves).",
    "where": "Constant equalities an item must match to be in this field; how one entity in "
    "two fields (two roles) is told apart.",
}

FUNCTION = {
    "patterns": "Access patterns the functions call, by name.",
    "writes": "Generated write methods the functions call: create_<entity>, save_<entity>, "
    "update_<entity>, delete_<entity>, batch_get, batch_write, increment, apply_once.",
    "description": "Free text, copied into the IAM policy's description.",
}

BILLING_MODES = ("on_demand", "provisioned")
STREAM_VIEWS = {
    "keys_only": "KEYS_ONLY",
    "new_image": "NEW_IMAGE",
    "old_image": "OLD_IMAGE",
    "new_and_old_images": "NEW_AND_OLD_IMAGES",
}
INDEX_STRATEGIES = ("overloaded", "dedicated")
ORDERS = ("asc", "desc")
# The kinds of generated write methods (`create_<entity>`, ...), as `write_rates` names them.
WRITE_KINDS = {
    "create": "Writes per second of `create_<entity>`.",
    "save": "Writes per second of `save_<entity>`.",
    "update": "Writes per second of `update_<entity>`.",
    "delete": "Writes per second of `delete_<entity>`.",
}
AUTO_KINDS = {"ulid": ("str",), "uuid": ("str",), "now": ("datetime",)}
