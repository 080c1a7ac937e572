"""What `update_<entity>` takes: asked by the generator, the checker of `functions:` and of
`write_rates`, `dynamodel iam` and the capacity estimates alike."""

from __future__ import annotations

from dynamodel.compiler.spec.model import Attribute, Entity, Spec


def updatable(spec: Spec, entity: Entity) -> tuple[Attribute, ...]:
    """The attributes `update_<entity>` takes: not the table key, not a derived value, a copy
    or a counter (each belongs to the model, its source or its children's writes), and not an
    attribute naming a source of copies (a save changes it, refilling the copies). An entity
    with none gets no `update_<entity>`."""
    kept = {counter for _, counter in spec.counters_of(entity.name)}
    for source_name, _ in spec.copies_in(entity):
        source = spec.entity(source_name)
        if source is not None:
            kept.update(source.key_names)
    return tuple(
        a
        for a in entity.attributes
        if a.name not in entity.key_names
        and a.derived is None
        and a.copy_of is None
        and a.name not in kept
    )
