"""What every command needs: where it runs, the repository, the config, how to print.

Built once per invocation by the CLI and passed down; no module-global state.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TextIO

from gatekit.config import Config, load_config
from gatekit.git import RepoPaths, get_repo_paths


@dataclass
class App:
    cwd: Path = field(default_factory=Path.cwd)
    config_path: Path | None = None
    color: str = "auto"  # auto | always | never

    @cached_property
    def repo(self) -> RepoPaths:
        return get_repo_paths(self.cwd)

    @cached_property
    def config(self) -> Config:
        return load_config(self.repo.toplevel, self.config_path)

    @cached_property
    def target(self) -> str:
        """The configured target branch, else the repository's default branch, else the branch
        checked out (a repository whose only branch is `develop`), else main."""
        from gatekit import git

        root = self.repo.toplevel
        return self.config.target or git.default_branch(root) or git.current_branch(root) or "main"

    def use_color(self, stream: TextIO | None = None) -> bool:
        """Colour on a terminal unless NO_COLOR is set; --color always/never override both."""
        if self.color == "always":
            return True
        if self.color == "never" or "NO_COLOR" in os.environ:
            return False
        stream = stream or sys.stdout
        return hasattr(stream, "isatty") and stream.isatty()
