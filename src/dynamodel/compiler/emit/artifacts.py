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
    return {
        **report_artifacts(design, spec_name=spec_name),
        **plain_artifacts(design, spec_name=spec_name),
    }


def report_artifacts(
    design: Design, *, spec_name: str, samples: SampleData | None = None
) -> dict[str, str]:
    """The reports people read: the Markdown and HTML reports and the Workbench model, the
    last two showing one set of sample items (made here unless given). The command line
    writes them from a second process while this one writes the others and the package: the
    two groups take about as long, at 1,000 entities as at 10,000."""
    if samples is None:
        samples = sample_data(design)
    return {
        REPORT: emit_markdown(design, path=spec_name),
        REPORT_HTML: emit_html(design, path=spec_name, samples=samples),
        WORKBENCH: emit_workbench(design, path=spec_name, samples=samples),
    }


def plain_artifacts(design: Design, *, spec_name: str) -> dict[str, str]:
    """The design as data: its JSON and the CloudFormation template."""
    return {
        DESIGN_JSON: emit_design_json(design),
        TEMPLATE: emit_cloudformation(design, fmt="yaml"),
    }
