"""The YAML examples of the README and docs, so tests run exactly what readers copy."""

from __future__ import annotations

import re
from pathlib import Path

from testing.repo import REPO_ROOT

DOCS = (REPO_ROOT / "README.md", REPO_ROOT / "docs" / "integrations.md")
_BLOCK = re.compile(r"^```yaml\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def yaml_examples(first_line: str, docs: tuple[Path, ...] = DOCS) -> list[tuple[str, str]]:
    """(where, text) of every ```yaml block of the docs whose first line is first_line
    (e.g. `# .gitlab-ci.yml`)."""
    found = []
    for doc in docs:
        for index, match in enumerate(_BLOCK.finditer(doc.read_text(encoding="utf-8"))):
            text = match.group(1)
            if text.splitlines()[0].strip() == first_line:
                found.append((f"{doc.name}#{index}", text))
    return found
