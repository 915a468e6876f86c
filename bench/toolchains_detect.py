"""How much zero-config detection and affected planning add to a check, measured in one run.

Builds a synthetic monorepo (a Cargo workspace of 150 crates, an npm workspace of 150
packages, 40 Python projects, a Go module, 20,000 source files) and prints medians and
ratios against `git status` on the same repository, which every check pays anyway.

    python bench/toolchains_detect.py [--crates 150] [--files 20000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gatekit.toolchains import detect_gates, plan_affected  # noqa: E402


def build(root: Path, crates: int, files: int) -> None:
    def write(relpath: str, content: str) -> None:
        (root / relpath).parent.mkdir(parents=True, exist_ok=True)
        (root / relpath).write_text(content)

    members = ", ".join(f'"crates/c{i}"' for i in range(crates))
    write("Cargo.toml", f'[workspace]\nmembers = [{members}]\nresolver = "2"\n')
    for i in range(crates):
        dep = f'c{i - 1} = {{ path = "../c{i - 1}" }}\n' if i else ""
        write(
            f"crates/c{i}/Cargo.toml",
            f'[package]\nname = "c{i}"\nversion = "0.1.0"\nedition = "2021"\n[dependencies]\n{dep}',
        )
        write(f"crates/c{i}/src/lib.rs", "\n")
    write(
        "web/package.json",
        json.dumps({"name": "web", "private": True, "workspaces": ["packages/*"]}),
    )
    for i in range(crates):
        deps = {f"p{i - 1}": "*"} if i else {}
        write(
            f"web/packages/p{i}/package.json",
            json.dumps({"name": f"p{i}", "dependencies": deps, "scripts": {"build": "true"}}),
        )
    for i in range(40):
        write(f"py/proj{i}/pyproject.toml", f'[project]\nname = "proj{i}"\nversion = "1"\n')
        write(f"py/proj{i}/proj{i}/__init__.py", "")
    write("svc/go.mod", "module example.com/svc\n")
    for i in range(files):
        write(f"crates/c{i % crates}/src/gen/m{i}.rs", "// generated\n")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(
        ["git", "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "x"],
        cwd=root,
        check=True,
    )


def median_ms(action: Callable[[], object], runs: int = 7) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crates", type=int, default=150)
    parser.add_argument("--files", type=int, default=20000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build(root, args.crates, args.files)
        status = median_ms(
            lambda: subprocess.run(
                ["git", "status", "--porcelain=v2", "-z"], cwd=root, capture_output=True, check=True
            )
        )
        detect = median_ms(lambda: detect_gates(root))
        leaf = f"crates/c{args.crates - 1}/src/lib.rs"
        plan_leaf = median_ms(lambda: plan_affected(root, [leaf]))
        plan_root = median_ms(lambda: plan_affected(root, ["crates/c0/src/lib.rs"]))
        plan_npm = median_ms(lambda: plan_affected(root, ["web/packages/p0/index.js"]))
        print(f"repository: {args.crates} crates, {args.crates} npm packages, 40 python projects,")
        print(f"            {args.files} extra source files")
        rows = [
            ("git status --porcelain=v2 -z", status),
            ("detect_gates", detect),
            ("plan_affected, leaf crate", plan_leaf),
            ("plan_affected, root of the crate chain", plan_root),
            ("plan_affected, root of the npm chain", plan_npm),
        ]
        for label, ms in rows:
            print(f"{label:40} {ms:8.1f} ms   ratio to git status {ms / status:5.2f}")


if __name__ == "__main__":
    main()
