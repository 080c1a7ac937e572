"""Views placed on a GSI (compiler/design/placement.py): the rules of that layout, each pinned
by the design of a small spec.

A view read by attributes the base table's partitions are not keyed by is served by a GSI in
which one partition holds exactly the view's items: every entity of the view is keyed there by
the view's `by` under one tag (the first single entity's), a single item whose id the `by`
fixes sorts first ("#") or, for a view read in descending order, last ("~"), and the list items
are ordered by the view's sort. Another need shares those keys only when it needs exactly
them; anything else goes to another GSI, so a view's partition never holds another key.
"""

from __future__ import annotations

from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.pipeline import compile_spec

ENTITIES = """\
entities:
  Owner:
    id: [owner_id]
    attributes: {owner_id: str, name: str, region: str}
  Pet:
    id: [pet_id]
    attributes: {pet_id: str, owner_id: str, born: date, kind: str, nickname: "str?"}
  Toy:
    id: [toy_id]
    attributes: {toy_id: str, owner_id: str, colour: str}
  Profile:
    id: [owner_id]
    attributes: {owner_id: str, bio: str}
"""
GETS = """\
  get_owner: {entity: Owner, by: [owner_id]}
  get_pet: {entity: Pet, by: [pet_id]}
  get_toy: {entity: Toy, by: [toy_id]}
"""


def design_of(patterns: str, *, indexes: str = "overloaded") -> Design:
    text = (
        f"version: 1\ntable: {{name: Pets, indexes: {indexes}}}\n{ENTITIES}"
        f"access_patterns:\n{GETS}{patterns}"
    )
    compilation = compile_spec(text)
    assert compilation.design is not None, compilation.diagnostics
    assert not [d for d in compilation.diagnostics if d.severity == "error"]
    return compilation.design


def keys(design: Design) -> dict[str, dict[str, str]]:
    """entity -> GSI name -> "partition template | sort template" (the base table left out)."""
    return {
        entity.name: {
            key.index: f"{key.partition.render()} | {key.sort.render()}" for key in entity.keys[1:]
        }
        for entity in design.entities
    }


def index_of(design: Design, pattern: str) -> str | None:
    return next(p.index for p in design.patterns if p.name == pattern)


def gsi_names(design: Design) -> list[str]:
    return [index.name for index in design.indexes]


def test_a_view_on_a_gsi_keys_its_entities_into_one_partition_head_first() -> None:
    design = design_of(
        "  owner_with_pets: {view: {owner: Owner, pets: [Pet]}, by: [owner_id], sort: born}\n"
    )
    assert gsi_names(design) == ["GSI1"]
    assert index_of(design, "owner_with_pets") == "GSI1"
    assert keys(design) == {
        "Owner": {"GSI1": "Owner#{owner_id} | #Owner"},
        "Pet": {"GSI1": "Owner#{owner_id} | Pet#{born}#{pet_id}"},
        "Toy": {},
        "Profile": {},
    }
    for entity in design.entities[:2]:
        assert entity.keys[1].patterns == ("owner_with_pets",)


def test_a_view_is_tagged_by_its_single_entity_wherever_it_stands() -> None:
    design = design_of(
        "  owner_with_pets: {view: {pets: [Pet], owner: Owner}, by: [owner_id], sort: born}\n"
    )
    assert keys(design)["Owner"] == {"GSI1": "Owner#{owner_id} | #Owner"}
    assert keys(design)["Pet"] == {"GSI1": "Owner#{owner_id} | Pet#{born}#{pet_id}"}


def test_a_list_whose_id_the_view_fixes_is_no_head() -> None:
    # Profile's id is the view's `by`, but it is a list field: only the owner sorts last.
    design = design_of(
        "  owner_view: {view: {owner: Owner, profiles: [Profile]}, by: [owner_id], order: desc}\n"
    )
    assert keys(design)["Owner"] == {"GSI1": "Owner#{owner_id} | ~Owner"}
    assert keys(design)["Profile"] == {"GSI1": "Owner#{owner_id} | #Profile"}


def test_a_view_read_in_descending_order_puts_its_head_last() -> None:
    design = design_of(
        "  owner_with_pets: {view: {owner: Owner, pets: [Pet]}, by: [owner_id], sort: born,"
        " order: desc}\n"
    )
    assert keys(design)["Owner"] == {"GSI1": "Owner#{owner_id} | ~Owner"}
    assert keys(design)["Pet"] == {"GSI1": "Owner#{owner_id} | Pet#{born}#{pet_id}"}


def test_a_view_without_a_single_field_is_tagged_by_its_first_entity() -> None:
    design = design_of("  pets_and_toys: {view: {pets: [Pet], toys: [Toy]}, by: [owner_id]}\n")
    assert keys(design)["Pet"] == {"GSI1": "Pet#{owner_id} | Pet#{pet_id}"}
    assert keys(design)["Toy"] == {"GSI1": "Pet#{owner_id} | Toy#{toy_id}"}


def test_a_pattern_needing_exactly_the_view_key_shares_it() -> None:
    design = design_of(
        "  owner_with_pets: {view: {owner: Owner, pets: [Pet]}, by: [owner_id], sort: born}\n"
        "  pets_of_owner: {entity: Pet, by: [owner_id], sort: born}\n"
    )
    assert gsi_names(design) == ["GSI1"]
    assert index_of(design, "pets_of_owner") == "GSI1"
    pet = next(e for e in design.entities if e.name == "Pet")
    assert pet.keys[1].patterns == ("owner_with_pets", "pets_of_owner")


def test_a_pattern_that_would_reorder_the_view_list_goes_to_another_gsi() -> None:
    design = design_of(
        "  owner_with_pets: {view: {owner: Owner, pets: [Pet]}, by: [owner_id], sort: born}\n"
        "  pets_of_owner_by_kind: {entity: Pet, by: [owner_id], sort: kind}\n"
    )
    assert keys(design)["Pet"]["GSI1"] == "Owner#{owner_id} | Pet#{born}#{pet_id}"
    assert index_of(design, "pets_of_owner_by_kind") == "GSI2"
    assert keys(design)["Pet"]["GSI2"] == "Pet#{owner_id} | Pet#{kind}#{pet_id}"


def test_a_pattern_may_extend_the_sort_of_a_view_list() -> None:
    # The list stays in `born` order; the longer key also serves the pattern.
    design = design_of(
        "  owner_with_pets: {view: {owner: Owner, pets: [Pet]}, by: [owner_id], sort: born}\n"
        "  pets_of_owner_by_born_kind: {entity: Pet, by: [owner_id], sort: [born, kind]}\n"
    )
    assert gsi_names(design) == ["GSI1"]
    assert keys(design)["Pet"] == {"GSI1": "Owner#{owner_id} | Pet#{born}#{kind}#{pet_id}"}
    assert keys(design)["Owner"] == {"GSI1": "Owner#{owner_id} | #Owner"}


def test_a_longer_view_sort_serves_a_pattern_with_its_leading_part() -> None:
    design = design_of(
        "  owner_with_pets: {view: {owner: Owner, pets: [Pet]}, by: [owner_id],"
        " sort: [born, kind]}\n"
        "  pets_of_owner: {entity: Pet, by: [owner_id], sort: born}\n"
    )
    assert gsi_names(design) == ["GSI1"]
    assert keys(design)["Pet"] == {"GSI1": "Owner#{owner_id} | Pet#{born}#{kind}#{pet_id}"}


def test_a_shared_optional_sort_part_does_not_stop_a_required_extension() -> None:
    # Both need the nickname (both are sparse alike); only the extension must be required.
    design = design_of(
        "  pets_by_nickname: {entity: Pet, by: [owner_id], sort: nickname}\n"
        "  pets_by_nickname_born: {entity: Pet, by: [owner_id], sort: [nickname, born]}\n"
    )
    assert gsi_names(design) == ["GSI1"]
    assert keys(design)["Pet"] == {"GSI1": "Pet#{owner_id} | Pet#{nickname}#{born}#{pet_id}"}


def test_a_pattern_may_not_extend_a_view_list_by_an_optional_attribute() -> None:
    # Pets without a nickname would drop out of the index, and out of the view.
    design = design_of(
        "  owner_with_pets: {view: {owner: Owner, pets: [Pet]}, by: [owner_id], sort: born}\n"
        "  pets_by_born_nickname: {entity: Pet, by: [owner_id], sort: [born, nickname]}\n"
    )
    assert keys(design)["Pet"]["GSI1"] == "Owner#{owner_id} | Pet#{born}#{pet_id}"
    assert index_of(design, "pets_by_born_nickname") == "GSI2"


def test_a_view_does_not_join_a_gsi_holding_only_some_of_its_entities() -> None:
    # The second view shares Pet with the first: its partition must hold its toys too, under
    # its own tag, so it gets a GSI of its own and the first view's partition stays exact.
    design = design_of(
        "  owner_with_pets: {view: {owner: Owner, pets: [Pet]}, by: [owner_id]}\n"
        "  pets_and_toys: {view: {pets: [Pet], toys: [Toy]}, by: [owner_id]}\n"
    )
    assert gsi_names(design) == ["GSI1", "GSI2"]
    assert keys(design) == {
        "Owner": {"GSI1": "Owner#{owner_id} | #Owner"},
        "Pet": {
            "GSI1": "Owner#{owner_id} | Pet#{pet_id}",
            "GSI2": "Pet#{owner_id} | Pet#{pet_id}",
        },
        "Toy": {"GSI2": "Pet#{owner_id} | Toy#{toy_id}"},
        "Profile": {},
    }


def test_views_over_the_same_entities_share_a_gsi_only_when_ordered_alike() -> None:
    alike = design_of(
        "  owner_with_pets: {view: {owner: Owner, pets: [Pet]}, by: [owner_id], sort: born}\n"
        "  owner_and_pets: {view: {head: Owner, all: [Pet]}, by: [owner_id], sort: born}\n"
    )
    assert gsi_names(alike) == ["GSI1"]
    assert keys(alike)["Owner"] == {"GSI1": "Owner#{owner_id} | #Owner"}
    alike_desc = design_of(
        "  owner_with_pets: {view: {owner: Owner, pets: [Pet]}, by: [owner_id], order: desc}\n"
        "  owner_and_pets: {view: {head: Owner, all: [Pet]}, by: [owner_id], order: desc}\n"
    )
    assert gsi_names(alike_desc) == ["GSI1"]
    assert keys(alike_desc)["Owner"] == {"GSI1": "Owner#{owner_id} | ~Owner"}
    reversed_order = design_of(
        "  owner_with_pets: {view: {owner: Owner, pets: [Pet]}, by: [owner_id], sort: born}\n"
        "  newest_pets: {view: {owner: Owner, pets: [Pet]}, by: [owner_id], sort: born,"
        " order: desc}\n"
    )
    # The head sorts first in one and last in the other: two keys, two GSIs.
    assert gsi_names(reversed_order) == ["GSI1", "GSI2"]
    assert keys(reversed_order)["Owner"] == {
        "GSI1": "Owner#{owner_id} | #Owner",
        "GSI2": "Owner#{owner_id} | ~Owner",
    }


def test_a_view_of_other_entities_never_shares_a_view_partition() -> None:
    design = design_of(
        "  owner_with_pets: {view: {owner: Owner, pets: [Pet]}, by: [owner_id]}\n"
        "  owner_with_toys: {view: {owner: Owner, toys: [Toy]}, by: [owner_id]}\n"
    )
    pets, toys = index_of(design, "owner_with_pets"), index_of(design, "owner_with_toys")
    assert pets != toys
    assert set(keys(design)["Pet"]) == {pets} and set(keys(design)["Toy"]) == {toys}


def test_an_unrelated_pattern_overloads_a_view_gsi_under_its_own_tag() -> None:
    design = design_of(
        "  owner_with_pets: {view: {owner: Owner, pets: [Pet]}, by: [owner_id]}\n"
        "  toys_by_colour: {entity: Toy, by: [colour]}\n"
    )
    assert gsi_names(design) == ["GSI1"]
    assert keys(design)["Toy"] == {"GSI1": "Toy#{colour} | Toy#{toy_id}"}


def test_dedicated_indexes_give_a_view_a_gsi_of_its_own() -> None:
    design = design_of(
        "  owner_with_pets: {view: {owner: Owner, pets: [Pet]}, by: [owner_id], sort: born}\n"
        "  pets_of_owner: {entity: Pet, by: [owner_id], sort: born}\n"
        "  toys_by_colour: {entity: Toy, by: [colour]}\n",
        indexes="dedicated",
    )
    assert index_of(design, "pets_of_owner") == index_of(design, "owner_with_pets")
    assert index_of(design, "toys_by_colour") != index_of(design, "owner_with_pets")
    assert len(design.indexes) == 2


def test_a_sharded_pattern_gets_a_sharded_key_of_its_own() -> None:
    design = design_of(
        "  owner_with_pets: {view: {owner: Owner, pets: [Pet]}, by: [owner_id], sort: born}\n"
        "  pets_of_owner_sharded: {entity: Pet, by: [owner_id], sort: born, shards: 4}\n"
    )
    assert gsi_names(design) == ["GSI1", "GSI2"]
    assert keys(design)["Pet"]["GSI1"] == "Owner#{owner_id} | Pet#{born}#{pet_id}"
    assert keys(design)["Pet"]["GSI2"] == "Pet#{owner_id}#{_shard} | Pet#{born}#{pet_id}"
