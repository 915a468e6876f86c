"""`gatekit.git` re-exports every git helper lazily: each name resolves, and importing the
package imports none of its modules (a hook pays only for the modules it calls)."""

from __future__ import annotations

import subprocess
import sys

from gatekit import git
from testing.repo import REPO_ROOT


def test_every_exported_name_resolves_to_its_module() -> None:
    assert sorted(git.__all__) == sorted(git._HOMES)
    for name in git.__all__:
        value = getattr(git, name)
        assert getattr(value, "__module__", f"gatekit.git.{git._HOMES[name]}").startswith("gatekit.git.")


def test_importing_the_package_imports_no_git_module() -> None:
    probe = "import sys, gatekit.git; print(sorted(m for m in sys.modules if m.startswith('gatekit.git.')))"
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
