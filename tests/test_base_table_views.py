"""Views served by the base table (compiler/design/base.py): an entity's partition there
holds one view's entities only, so a second view sharing an entity goes to a GSI (mutation
survivor of `_place_view`)."""

from __future__ import annotations

from dynamodel.compiler.pipeline import compile_spec

SPEC = """\
version: 1
table: {name: Notes, indexes: overloaded}
entities:
  Owner:
    id: [owner_id]
    attributes: {owner_id: str, name: str}
  Note:
    id: [owner_id, note_id]
    attributes: {owner_id: str, note_id: str, body: str}
  Tag:
    id: [owner_id, tag_id]
    attributes: {owner_id: str, tag_id: str, label: str}
access_patterns:
  get_owner: {entity: Owner, by: [owner_id]}
  with_notes: {view: {owner: Owner, notes: [Note]}, by: [owner_id]}
  with_tags: {view: {owner: Owner, tags: [Tag]}, by: [owner_id]}
"""


def test_a_second_view_sharing_an_entity_is_not_served_by_the_first_ones_partition() -> None:
    compilation = compile_spec(SPEC)
    design = compilation.design
    assert design is not None and not compilation.diagnostics
    assert {p.name: p.index for p in design.patterns} == {
        "get_owner": None,
        "with_notes": None,
        "with_tags": "GSI1",
    }
    table_keys = {
        e.name: f"{e.keys[0].partition.render()} | {e.keys[0].sort.render()}"
        for e in design.entities
    }
    # Tags stay out of the owner's base partition: a with_notes read gets no Tag item.
    assert table_keys == {
        "Owner": "Owner#{owner_id} | #Owner",
        "Note": "Owner#{owner_id} | Note#{note_id}",
        "Tag": "Tag#{owner_id} | Tag#{tag_id}",
    }


def test_a_view_of_one_field_is_planned_like_any_view() -> None:
    # The plan reads the index of the view's first field; a view may have only that one.
    text = SPEC.replace(
        "  with_tags: {view: {owner: Owner, tags: [Tag]}, by: [owner_id]}\n",
        "  only_owner: {view: {owner: Owner}, by: [owner_id]}\n",
    )
    compilation = compile_spec(text)
    design = compilation.design
    assert design is not None and not compilation.diagnostics
    assert {p.name: p.index for p in design.patterns}["only_owner"] == "GSI1"
