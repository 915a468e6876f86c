"""How well the package keeps one room per domain and one home per concept, counted by grep.

    python3 bench/layout_metrics.py            # the checkout
    python3 bench/layout_metrics.py baf2bca    # any commit (read with git archive, nothing checked out)

Each figure should only go down: top-level modules, raw git invocations outside gatekit/git/,
subprocess and other process/file primitives outside the toolkit (gatekit/proc.py).
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLKIT = ("gatekit/system/", "gatekit/proc.py")  # proc.py: the toolkit before it became a package

# The same pattern the review's grep uses: git.run(...), git.run_rc(...), or an argv starting "git".
RAW_GIT = re.compile(r'git\.run(_rc)?\(|[\[(]\s*"git"\s*,')
PRIMITIVES = {
    "subprocess uses": re.compile(r"\bsubprocess\.(run|Popen|call|check_call|check_output)\("),
    "flock calls": re.compile(r"\bfcntl\.flock\("),
    "os.kill/killpg calls": re.compile(r"\bos\.(kill|killpg)\("),
    "os.replace calls (atomic writes)": re.compile(r"\bos\.replace\("),
}


def sources(rev: str | None) -> Iterator[tuple[str, str]]:
    """(path, text) of every gatekit/*.py file in the checkout or at rev."""
    if rev is None:
        for path in sorted((ROOT / "gatekit").rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")
        return
    archive = subprocess.run(["git", "archive", rev, "gatekit"], cwd=ROOT, capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            handle = tar.extractfile(member) if member.name.endswith(".py") else None
            if handle is not None:
                yield member.name, handle.read().decode("utf-8")


def measure(rev: str | None) -> dict[str, int]:
    files = dict(sources(rev))
    top = {path.split("/")[1] for path in files}
    figures = {
        "top-level modules": sum(1 for name in top if name.endswith(".py") and name != "__init__.py"),
        "top-level packages": sum(1 for name in top if not name.endswith(".py")),
        "raw git calls outside gatekit/git/": 0,
    }
    figures.update(dict.fromkeys((f"{name} outside the toolkit" for name in PRIMITIVES), 0))
    for path, text in files.items():
        if not path.startswith("gatekit/git/"):
            figures["raw git calls outside gatekit/git/"] += len(RAW_GIT.findall(text))
        if not path.startswith(TOOLKIT):
            for name, pattern in PRIMITIVES.items():
                figures[f"{name} outside the toolkit"] += len(pattern.findall(text))
    return figures


def main(argv: list[str]) -> None:
    rev = argv[0] if argv else None
    for name, value in measure(rev).items():
        print(f"{value:5d}  {name}")


if __name__ == "__main__":
    main(sys.argv[1:])
