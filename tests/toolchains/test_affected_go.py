"""Affected mode for Go, from the import graph `go list -json` prints.

Go is not installed on the development machine: the graph logic runs on captured
`go list -json ./...` output (data/go_list_shop.json), served by a stand-in `go` on PATH.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from gatekit.toolchains import plan_affected
from gatekit.toolchains.base import CannotScope
from gatekit.toolchains.golang import iter_json_stream, parse_go_list, parse_go_work

CAPTURED = Path(__file__).parent / "data" / "go_list_shop.json"


def captured_output(root: Path) -> str:
    return CAPTURED.read_text().replace("@ROOT@", str(root))


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A Go module checkout, and a `go` on PATH that answers `go list` with the captured graph."""
    root = tmp_path / "shop"
    for rel in ("cart", "cmd/shop", "internal/money", "report", "tools"):
        (root / rel).mkdir(parents=True)
        (root / rel / "x.go").write_text("package x\n")
    (root / "go.mod").write_text("module example.com/shop\n\ngo 1.22\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (tmp_path / "go_list.json").write_text(captured_output(root))
    fake = bin_dir / "go"
    fake.write_text(
        '#!/bin/sh\n[ "$*" = "list -e -json ./..." ] || { echo "unexpected: $*" >&2; exit 2; }\n'
        f'cat "{tmp_path / "go_list.json"}"\n'
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return root


def test_parse_go_list_builds_the_import_graph_with_test_imports(tmp_path: Path) -> None:
    packages = {p.name.rsplit("/", 1)[-1]: p for p in parse_go_list(captured_output(tmp_path), tmp_path)}
    assert packages["cart"].path == "cart"
    assert packages["cart"].depends_on == {"example.com/shop/internal/money"}
    assert packages["shop"].depends_on == {"example.com/shop/cart"}
    # report only imports cart from its external test package: its tests still break.
    assert packages["report"].depends_on == {"example.com/shop/cart"}
    assert packages["tools"].depends_on == frozenset()


def test_change_in_a_leaf_package_selects_importers_transitively(shop: Path) -> None:
    plan = plan_affected(shop, ["internal/money/money.go"])
    assert plan.whole is False
    assert plan.packages == (
        "example.com/shop/internal/money",
        "example.com/shop/cart",
        "example.com/shop/cmd/shop",
        "example.com/shop/report",
    )
    assert [g.run for g in plan.gates] == [
        ("go", "build", "./internal/money", "./cart", "./cmd/shop", "./report"),
        ("go", "test", "./internal/money", "./cart", "./cmd/shop", "./report"),
    ]
    assert plan.reasons[0] == (
        "package `example.com/shop/internal/money` changed; `example.com/shop/cart` depends on it"
    )


@pytest.mark.parametrize("changed", ["go.mod", "go.sum", "cart/go.mod"])
def test_module_files_run_the_whole_module(shop: Path, changed: str) -> None:
    plan = plan_affected(shop, [changed])
    assert plan.whole is True
    assert [g.run for g in plan.gates] == [("go", "build", "./..."), ("go", "test", "./...")]


def test_go_not_installed_falls_back_and_says_so(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(shop / "no-such-bin"))
    plan = plan_affected(shop, ["cart/cart.go"])
    assert plan.whole is True
    assert plan.reasons == (
        "`go` is not installed, so the import graph is unknown: the whole go workspace runs",
    )


def test_truncated_go_list_output_cannot_scope(tmp_path: Path) -> None:
    with pytest.raises(CannotScope, match="invalid JSON"):
        parse_go_list(captured_output(tmp_path)[:-40], tmp_path)


def test_json_stream_reads_concatenated_documents() -> None:
    assert list(iter_json_stream('{"a": 1}\n{"b": 2}{"c": [3]}\n\n')) == [
        {"a": 1},
        {"b": 2},
        {"c": [3]},
    ]
    assert json.loads("{}") == {}


def test_go_work_use_directives_single_and_block() -> None:
    text = 'go 1.22\n\nuse (\n\t./api\n\t"./lib" // shared\n)\n\nuse ./tools\n// use ./old\n'
    assert sorted(parse_go_work(text)) == ["./api", "./lib", "./tools"]
