"""The language matrix: for each two-branch case, the definitions each branch touched, as a
maintainer would name them, found from git's own -U0 hunks of each edit."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatekit.fleet import symbols
from testing.fleet import zero_context_hunks
from tests.fleet.symbol_matrix import CASES, Case


def branch_touches(case: Case, edit: tuple[str, str], scratch: Path) -> set[str]:
    old, new = edit
    assert case.base.count(old) >= 1, f"{case.id}: {old!r} is not in the base"
    changed = case.base.replace(old, new, 1)
    hunks = zero_context_hunks(case.base, changed, scratch)
    assert hunks, f"{case.id}: the edit changes nothing"
    old = symbols.line_owners(case.base.encode(), case.language)
    return symbols.changed_names(old, symbols.line_owners(changed.encode(), case.language), hunks)


def test_the_matrix_has_at_least_80_cases_over_every_language() -> None:
    assert len(CASES) >= 80
    assert len({c.id for c in CASES}) == len(CASES)
    assert {c.language for c in CASES} == set(symbols.GRAMMARS)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_branch_touches_what_a_maintainer_would_name(case: Case, tmp_path: Path) -> None:
    touched_a = branch_touches(case, case.edit_a, tmp_path / "a")
    touched_b = branch_touches(case, case.edit_b, tmp_path / "b")
    assert (touched_a, touched_b) == (set(case.touched_a), set(case.touched_b))
