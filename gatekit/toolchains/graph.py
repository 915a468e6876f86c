"""Affected packages: who owns a changed file, and who depends on the owners, transitively."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from gatekit.toolchains.base import Package, contains


def owner(packages: Sequence[Package], relpath: str) -> Package | None:
    """The innermost package whose directory holds relpath (a nested crate owns its files)."""
    holders = [p for p in packages if contains(p.path, relpath)]
    return max(holders, key=lambda p: (p.path != ".", p.path.count("/"), len(p.path)), default=None)


def with_dependents(
    packages: Sequence[Package], changed: Iterable[str], noun: str
) -> tuple[list[Package], list[str]]:
    """The changed packages plus every package depending on them, and why each is selected."""
    by_name = {p.name: p for p in packages}
    dependents: dict[str, list[str]] = {name: [] for name in by_name}
    for package in packages:
        for dependency in package.depends_on:
            if dependency in dependents:
                dependents[dependency].append(package.name)
    roots = sorted(set(changed))
    selected = list(roots)
    parent: dict[str, str] = {}
    queue = list(roots)
    while queue:
        name = queue.pop(0)
        for dependent in sorted(dependents.get(name, ())):
            if dependent not in parent and dependent not in roots:
                parent[dependent] = name
                selected.append(dependent)
                queue.append(dependent)
    reasons = []
    for name in roots:
        direct = [d for d in selected if parent.get(d) == name]
        sentence = f"{noun} `{name}` changed"
        if direct:
            verb = "depends" if len(direct) == 1 else "depend"
            sentence += f"; {_names(direct)} {verb} on it"
        reasons.append(sentence)
    reasons += [f"`{d}` depends on `{parent[d]}`" for d in selected if parent.get(d) not in (None, *roots)]
    return [by_name[name] for name in selected], reasons


def _names(names: Sequence[str]) -> str:
    quoted = [f"`{n}`" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
