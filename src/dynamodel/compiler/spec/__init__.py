"""The spec stage: YAML read with positions (`yamlnodes`), into the frozen spec (`model`) by
`read`, then checked (`check`) with every diagnostic at once. `fields` lists the keys each
part of a spec accepts, for the reader and the JSON Schema."""
