from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from gatekit.config import Config, load_config, parse_config
from gatekit.errors import ConfigError
from testing.repo import Repo


def test_gate_run_string_is_split_like_a_shell() -> None:
    config = parse_config(
        {"gates": [{"name": "build", "run": "cargo build --message-format 'short x'"}]}, source="g.toml"
    )
    assert config.gates[0].run == ("cargo", "build", "--message-format", "short x")
    assert config.gates[0].shell is False


def test_shell_gate_keeps_one_script() -> None:
    config = parse_config({"gates": [{"name": "s", "run": ["echo", "a b"], "shell": True}]}, source="g.toml")
    assert config.gates[0].run == ("echo 'a b'",)


@pytest.mark.parametrize(
    ("table", "key_path", "expected"),
    [
        ({"gatse": []}, "gatse", "did you mean 'gates'"),
        ({"gates": [{"name": "a", "run": "x", "timeot": 3}]}, "gates[0].timeot", "did you mean 'timeout'"),
        ({"gates": [{"name": "a", "run": 3}]}, "gates[0].run", "expected a string or a list of strings"),
        (
            {"gates": [{"name": "a", "run": "x"}, {"name": "a", "run": "y"}]},
            "gates[1].name",
            "duplicate gate name 'a'",
        ),
        ({"gates": [{"run": "x"}]}, "gates[0].name", "required key is missing"),
        ({"gates": [{"name": "a", "run": "x", "timeout": "5"}]}, "gates[0].timeout", "expected a number"),
        ({"gates": [{"name": "a", "run": "x", "timeout": -1}]}, "gates[0].timeout", "positive"),
        (
            {"gates": [{"name": "a", "run": "x", "stages": ["pre-comit"]}]},
            "gates[0].stages",
            "did you mean 'pre-commit'",
        ),
        ({"gates": [{"name": "a", "run": "x", "env": {"A": 1}}]}, "gates[0].env.A", "expected a string"),
        ({"gates": [{"name": "a", "run": ""}]}, "gates[0].run", "empty"),
        ({"gates": {"name": "a"}}, "gates", "expected an array"),
        ({"heartbeat": True}, "heartbeat", "expected a number"),
        ({"guard": {"severity": "urgent"}}, "guard.severity", "expected one of low, medium, high"),
        ({"sandbox": {"slots": 0}}, "sandbox.slots", "from 1 to 64"),
        ({"sandbox": {"dir": "relative/boxes"}}, "sandbox.dir", "expected an absolute path"),
        ({"sandbox": {"dir": 3}}, "sandbox.dir", "expected a directory path"),
    ],
)
def test_bad_config_names_file_key_and_expectation(table: dict, key_path: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(table, source="gatekit.toml")
    assert info.value.key_path == key_path
    assert expected in str(info.value)
    assert str(info.value).startswith("gatekit.toml: ")


def test_config_files_are_found_in_order(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.gatekit]\ntarget = "trunk"\n')
    assert load_config(tmp_path).target == "trunk"
    (tmp_path / ".gatekit.toml").write_text('target = "dot"\n')
    assert load_config(tmp_path).target == "dot"
    (tmp_path / "gatekit.toml").write_text('target = "plain"\n')
    assert load_config(tmp_path).target == "plain"


def test_pyproject_without_gatekit_table_means_defaults(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    loaded = load_config(tmp_path)
    assert loaded.source == "defaults (pyproject.toml (working tree) has no [tool.gatekit])"
    assert dataclasses.replace(loaded, source=Config().source) == Config()


def test_pyproject_errors_use_the_tool_gatekit_key_path(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.gatekit]\nprotectd = []\n")
    with pytest.raises(
        ConfigError, match=r"tool\.gatekit\.protectd: unknown key \(did you mean 'protected'\?\)"
    ):
        load_config(tmp_path)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"[[gates]\nname='x'\n", "invalid TOML"),
        (b"target = '\xff'\n", "is not UTF-8"),
    ],
)
def test_unreadable_config_exits_2_naming_the_file(repo: Repo, content: bytes, expected: str) -> None:
    repo.write("gatekit.toml", content)
    result = repo.gatekit("check")
    assert result.returncode == 2
    assert "gatekit.toml" in result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_gates_command_lists_gates_and_their_origin(repo: Repo) -> None:
    repo.write("gatekit.toml", '[[gates]]\nname = "unit"\nrun = "make test"\ntimeout = 60\n')
    result = repo.gatekit("gates")
    assert result.returncode == 0, result.stderr
    assert "unit" in result.stdout and "make test" in result.stdout
    assert "(gatekit.toml)" in result.stdout
    assert "timeout 60s" in result.stdout


def test_a_warmed_server_parses_configs_without_evaluating_annotations_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The resident server warms the config classes' types once; a worker parsing a config then
    compiles no annotation (each get_type_hints call compiles every field's)."""
    import typing

    from gatekit.config import warm_type_hints

    warm_type_hints()

    def evaluated(cls: type) -> dict:
        raise AssertionError(f"{cls.__name__}'s annotations evaluated again")

    monkeypatch.setattr(typing, "get_type_hints", evaluated)
    table = {
        "gates": [{"name": "t", "run": ["true"]}],
        "guard": {},
        "land": {},
        "fleet": {},
        "verdicts": {},
        "sandbox": {},
    }
    assert parse_config(table, source="gatekit.toml").gates[0].name == "t"
