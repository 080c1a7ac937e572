"""Denormalized copies in the samples (spec 1.1 `copy_of: Team.name`).

Creating a holder (a `Membership` with a `team_id`) reads its source (the `Team`) and copies
its values; a source that does not exist makes the create fail (`NotFoundError`). So the
samples, as for counted parents (`counted.py`):

* write every source before the entities that copy from it (`counted.write_order`);
* give each holder record whose references are set the key values of a record of its source
  (one in the holder's own partition where there is one), and the source's values as its
  copies (`link_to_sources`); a holder whose reference is None holds no copy;
* give each source item the `_incarnation` its create stores (a ULID: here one made from the
  seed, the entity and the record's number, so the samples stay a pure function; the table
  holds a random one, which `tests/test_samples.py` maps to it), and each holder item the
  stamp of the source state it copied (`_copy_<Source>`: incarnation, then version), and drop
  a holder whose source was not written (`Copied`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.samples.counted import source_table_key
from dynamodel.compiler.samples.items import Item
from dynamodel.compiler.spec.model import Entity, Spec
from dynamodel.runtime.stamps import INCARNATION_ATTRIBUTE, stamp_of

Record = dict[str, Any]

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_BASE_MILLISECONDS = 1_740_992_400_000  # 2025-03-03T09:00:00Z, the samples' base time


def sample_incarnation(seed: int, entity: str, index: int) -> str:
    """A ULID for record `index` of a source entity: its time the samples' base time plus
    `index` milliseconds (so later records order after earlier ones), its random part from a
    hash of the seed, entity and number."""
    digest = hashlib.sha256(f"{seed}/{entity}/{index}/incarnation".encode()).digest()
    value = ((_BASE_MILLISECONDS + index) << 80) | int.from_bytes(digest[:10], "big")
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def link_to_sources(
    spec: Spec,
    entity: Entity,
    i: int,
    record: Record,
    records: Mapping[str, list[Record]],
    fixed: frozenset[str],
) -> frozenset[str]:
    """Give record `i` of a holder the key values of a record of each source it copies from
    (one that agrees with the values already `fixed`, in the record's own partition where
    there is one), and that record's values as its copies; return the attributes fixed now
    and before. A reference that is None names no source: its copies stay None."""
    fixed_now = set(fixed)
    for source_name, copies in spec.copies_in(entity):
        for attribute in copies:
            record[attribute.name] = None
        source = spec.entity(source_name)
        if source is None or any(record.get(n) is None for n in source.key_names):
            continue
        candidates = [
            r
            for r in records.get(source.name, [])
            if all(r.get(n) == record.get(n) for n in source.key_names if n in fixed_now)
        ]
        nearby = [
            r
            for r in candidates
            if all(r.get(n) == record.get(n) for n in source.key_names if n in entity.id_names)
        ]
        candidates = nearby or candidates
        if not candidates:
            continue  # no source to copy from: the record is dropped when items are made
        chosen = candidates[i % len(candidates)]
        for name in source.key_names:
            record[name] = chosen[name]
            fixed_now.add(name)
        for attribute in copies:
            assert attribute.copy_of is not None
            record[attribute.name] = chosen.get(attribute.copy_of[1].name)
    return frozenset(fixed_now)


class Copied:
    """The stored items of copy sources, by table key, and what their holders' items get."""

    def __init__(self, design: Design, seed: int) -> None:
        self.design = design
        self.spec = design.spec
        self.seed = seed
        self.items: dict[tuple[str, str], Item] = {}

    def register(self, entity: Entity, index: int, item: Item) -> None:
        """A source's item as its create writes it: with an incarnation."""
        if self.spec.is_copy_source(entity.name):
            item[INCARNATION_ATTRIBUTE] = {"S": sample_incarnation(self.seed, entity.name, index)}
            key = (item[self.design.partition_key]["S"], item[self.design.sort_key]["S"])
            self.items[key] = item

    def fill(self, entity: Entity, record: Record, item: Item) -> bool:
        """The holder's item with each copy and its stamp as the stored source gives them;
        False when a source it names was not written (the create would be refused)."""
        for source_name, copies in self.spec.copies_in(entity):
            source = self.spec.entity(source_name)
            if source is None:
                return False
            if any(record.get(n) is None for n in source.key_names):
                continue
            stored = self.items.get(source_table_key(self.design, source, record) or ("", ""))
            if stored is None:
                return False
            for attribute in copies:
                assert attribute.copy_of is not None
                item.pop(attribute.name, None)
                if attribute.copy_of[1].name in stored:
                    item[attribute.name] = stored[attribute.copy_of[1].name]
            item[f"_copy_{source.name}"] = {"S": stamp_of(stored)}
        return True
