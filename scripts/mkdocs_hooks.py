"""MkDocs hook for the documentation site (mkdocs.yml): links from `docs/` to files of the
repository outside it (`../examples/tracker/spec.yaml`, `../schema/spec.schema.json`).

On GitHub those relative links work as they are; the site holds only `docs/`. So each such
link is checked (the file or directory must exist, or the build warns — and `mkdocs build
--strict` fails) and rewritten: to the file in the repository when `repo_url` is set in
mkdocs.yml, else to its path set as code, so the site never has a dead link.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

log = logging.getLogger("mkdocs.hooks.repository_links")

# [text](../path) or [text](../path#anchor), not images
_LINK = re.compile(r"(?<!!)\[(?P<text>[^\]]+)\]\((?P<target>\.\./[^)#\s]+)(?P<anchor>#[^)\s]*)?\)")


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    docs_dir = Path(config["docs_dir"]).resolve()
    source = (docs_dir / page.file.src_path).parent
    repo_url = (config.get("repo_url") or "").rstrip("/")
    branch = config.get("extra", {}).get("repo_branch", "main")

    def rewrite(match: re.Match[str]) -> str:
        target = (source / match.group("target")).resolve()
        try:
            relative = target.relative_to(docs_dir.parent)
        except ValueError:
            log.warning("%s links outside the repository: %s", page.file.src_path, match.group(0))
            return match.group(0)
        if target.is_relative_to(docs_dir):
            return match.group(0)  # a page of the site: MkDocs checks it itself
        if not target.exists():
            log.warning("%s links to a missing file: %s", page.file.src_path, relative)
            return match.group(0)
        text = match.group("text")
        if repo_url:
            kind = "tree" if target.is_dir() else "blob"
            return f"[{text}]({repo_url}/{kind}/{branch}/{relative.as_posix()})"
        shown = f"`{relative.as_posix()}`"
        return text if text.strip("`") == relative.as_posix() else f"{text} ({shown})"

    return _LINK.sub(rewrite, markdown)
