"""Real toolchain homes for verdict-key tests: a rustup home of our own, pyenv versions, venvs.

Nothing here touches the machine's own rustup or pyenv settings: the rustup home is a temporary
directory whose toolchains are links to the installed ones (what `rustup toolchain link` makes).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from testing.clients import require_client

HOST = "x86_64-unknown-linux-gnu"


def real_rustup_home() -> Path:
    return Path(os.environ.get("RUSTUP_HOME", str(Path.home() / ".rustup")))


def linked_rustup_home(path: Path, default: str) -> Path:
    """A rustup home at path with the installed stable and nightly toolchains; default is one of them."""
    installed = real_rustup_home() / "toolchains"
    toolchains = path / "toolchains"
    toolchains.mkdir(parents=True, exist_ok=True)
    for channel in ("stable", "nightly"):
        source = installed / f"{channel}-{HOST}"
        if not source.is_dir() or shutil.which("rustup") is None:
            pytest.fail(f"rustup with the {channel} toolchain is needed (see .ci/install-clients.sh)")
        link = toolchains / source.name
        if not link.exists():
            link.symlink_to(source)
    set_default_toolchain(path, default)
    return path


def set_default_toolchain(rustup_home: Path, channel: str) -> None:
    """What `rustup default CHANNEL` writes, without touching any other rustup home."""
    (rustup_home / "settings.toml").write_text(
        f'version = "12"\ndefault_toolchain = "{channel}-{HOST}"\nprofile = "default"\n'
    )


def pyenv_versions() -> dict[str, Path]:
    """Installed pyenv Python versions (3.9 and later), by major.minor, with their bin dirs."""
    try:
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        pytest.fail("pyenv is needed (see .ci/install-clients.sh)")
    found: dict[str, Path] = {}
    for version in sorted((Path(root) / "versions").iterdir()):
        parts = version.name.split(".")
        if len(parts) == 3 and parts[0] == "3" and parts[1].isdigit() and int(parts[1]) >= 9:
            found[f"3.{parts[1]}"] = version / "bin"
    return found


def pyenv_shims() -> Path:
    root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True).stdout.strip()
    return Path(root) / "shims"


def make_venv(path: Path, modules: dict[str, str] | None = None, python: str = sys.executable) -> Path:
    """A virtualenv of python (no pip, so it is fast) with modules written straight into its
    site-packages."""
    subprocess.run([python, "-m", "venv", "--without-pip", str(path)], check=True)
    site = next((path / "lib").glob("python3*/site-packages"))
    for name, source in (modules or {}).items():
        (site / f"{name}.py").write_text(source)
    return path


def site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python3*/site-packages"))


def activated(env: dict[str, str], venv: Path) -> dict[str, str]:
    """env as `source venv/bin/activate` leaves it."""
    return {**env, "VIRTUAL_ENV": str(venv), "PATH": f"{venv / 'bin'}{os.pathsep}{env['PATH']}"}


def mise_with_pythons(env: dict[str, str], versions: dict[str, Path]) -> tuple[str, Path]:
    """mise (from install-clients.sh's npm prefix) with the pyenv Pythons linked in as its own
    versions, under env's HOME (nothing is downloaded); returns mise and its shims directory."""
    mise = require_client("mise")
    for version, bin_dir in versions.items():
        done = subprocess.run(
            [mise, "link", "-f", f"python@{version}", str(bin_dir.parent)],
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
    done = subprocess.run([mise, "reshim"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    data = Path(env.get("MISE_DATA_DIR", str(Path(env["HOME"]) / ".local" / "share" / "mise")))
    return mise, data / "shims"


def mise_use_global(mise: str, env: dict[str, str], version: str) -> None:
    """`mise use -g python@version`: the user's global choice, outside every repository."""
    done = subprocess.run([mise, "use", "-g", f"python@{version}"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
