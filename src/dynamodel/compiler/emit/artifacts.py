"""Every artifact `dynamodel design --out DIR` writes, as `{relative path: text}`.

Paths inside the texts name the spec by its file name only, so the artifacts do not change
with the directory the command ran from.
"""

from __future__ import annotations

from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.emit.cloudformation import emit_cloudformation
from dynamodel.compiler.emit.design_json import emit_design_json
from dynamodel.compiler.emit.html import emit_html
from dynamodel.compiler.emit.markdown import emit_markdown
from dynamodel.compiler.emit.workbench import emit_workbench
from dynamodel.compiler.samples import SampleData, sample_data

DESIGN_JSON = "design.json"
REPORT = "report.md"
REPORT_HTML = "report.html"
WORKBENCH = "workbench.json"
TEMPLATE = "template.yaml"


def design_artifacts(design: Design, *, spec_name: str = "spec.yaml") -> dict[str, str]:
    samples = sample_data(design)  # one set of samples for the HTML grids and Workbench
    return {
        **html_artifacts(design, spec_name=spec_name, samples=samples),
        **other_artifacts(design, spec_name=spec_name, samples=samples),
    }


def html_artifacts(design: Design, *, spec_name: str, samples: SampleData) -> dict[str, str]:
    """The HTML report alone: the largest artifact, which the command line writes in a
    second process while this one writes the others (`other_artifacts`)."""
    return {REPORT_HTML: emit_html(design, path=spec_name, samples=samples)}


def other_artifacts(design: Design, *, spec_name: str, samples: SampleData) -> dict[str, str]:
    """Every artifact but the HTML report."""
    return {
        DESIGN_JSON: emit_design_json(design),
        REPORT: emit_markdown(design, path=spec_name),
        TEMPLATE: emit_cloudformation(design, fmt="yaml"),
        WORKBENCH: emit_workbench(design, path=spec_name, samples=samples),
    }
