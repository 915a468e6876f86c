"""Changed lines -> the definitions that enclose them, with tree-sitter grammars.

A definition is what a maintainer would name in review: functions, methods, types, fields,
constants, and every other top-level statement (named by what it binds, else by its first
line). Nested definitions get qualified names (`Class.method`, `Config as Debug::fmt` for a
Rust trait impl, `T.Run` for a Go receiver). An item's doc comment, attributes and decorators
belong to it. The per-language tables live in `gatekit.fleet.grammars`; files in other
languages are tracked at file level only.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from gatekit.fleet.grammars import EXTENSIONS, GRAMMARS, Name, Node, text_name

__all__ = ["EXTENSIONS", "GRAMMARS", "Definition", "definitions", "language_of", "touched"]


@dataclass(frozen=True)
class Definition:
    qualname: str
    kind: str
    start: int  # 1-based first line (its doc comment, attributes or decorators included)
    end: int  # 1-based last line
    # Named by its first line (an import, a macro call): an edit of that line renames it, so
    # where lines were replaced it is known by its old name only.
    by_text: bool = False


def language_of(path: str) -> str | None:
    dot = path.rfind(".")
    return EXTENSIONS.get(path[dot:].lower()) if dot > path.rfind("/") else None


@functools.cache
def _language(name: str) -> Any:
    import tree_sitter

    grammar = GRAMMARS[name]
    module = importlib.import_module(grammar.module)
    return tree_sitter.Language(getattr(module, grammar.function)())


@functools.cache
def _query(name: str) -> Any:
    import tree_sitter

    grammar = GRAMMARS[name]
    language = _language(name)
    patterns = " ".join(f"({kind}) @def" for kind in _known_kinds(language, grammar.definitions))
    return tree_sitter.Query(language, f"{patterns} {grammar.statements}")


def _known_kinds(language: Any, kinds: Iterable[str]) -> list[str]:
    """The node types this build of the grammar has (releases rename a few: Go's method_spec)."""
    return [kind for kind in kinds if language.id_for_node_kind(kind, True)]


def _captures(language: str, root: Node) -> dict[str, list[Node]]:
    import tree_sitter

    query = _query(language)
    # tree-sitter >= 0.25 runs queries through a QueryCursor; 0.23 (the last release for
    # Python 3.9) has Query.captures, returning the same {capture name: nodes} mapping.
    cursor = getattr(tree_sitter, "QueryCursor", None)
    found: dict[str, list[Node]] = cursor(query).captures(root) if cursor else query.captures(root)
    return found


def _last_row(node: Node) -> int:
    """0-based last line of node (a node that ends with its newline ends on the line before)."""
    row, column = node.end_point
    return row - 1 if column == 0 and row > node.start_point[0] else row


def _first_row(node: Node, wrappers: frozenset[str], attached: frozenset[str]) -> int:
    """0-based first line of node with what belongs to it: the wrapper it opens (`export`,
    `decorated_definition`, a one-spec Go `const`) and the comments, attributes and decorators
    directly above it on lines of their own."""
    outer = node
    while outer.parent is not None and outer.parent.type in wrappers and _leads(outer, attached):
        outer = outer.parent
    row = outer.start_point[0]
    previous = outer.prev_named_sibling
    while previous is not None and previous.type in attached and _last_row(previous) >= row - 1:
        before = previous.prev_named_sibling
        if before is not None and _last_row(before) >= previous.start_point[0]:
            break  # a trailing comment on the line of the statement before belongs to that one
        row = previous.start_point[0]
        previous = before
    return row


def _leads(node: Node, attached: frozenset[str]) -> bool:
    """Is node the first named child of its parent, but for comments and attributes?"""
    previous = node.prev_named_sibling
    while previous is not None and previous.type in attached:
        previous = previous.prev_named_sibling
    return previous is None


def _candidates(language: str, root: Node) -> list[tuple[Node, Name]]:
    grammar = GRAMMARS[language]
    captures = _captures(language, root)
    named: dict[tuple[int, int, str], tuple[Node, Name]] = {}
    for node in captures.get("def", []):
        name = grammar.definitions[node.type](node)
        if name is not None:
            named[(node.start_byte, node.end_byte, node.type)] = (node, name)
    for node in captures.get("stmt", []):
        key = (node.start_byte, node.end_byte, node.type)
        if key in named or node.type in grammar.definitions or node.type in grammar.attached:
            continue
        if node.type in grammar.silent or node.is_missing:
            continue
        name = grammar.statement(node) if grammar.statement else None
        named[key] = (node, name if name is not None else Name(text_name(node), by_text=True))
    return sorted(named.values(), key=lambda item: (item[0].start_byte, -item[0].end_byte))


def definitions(source: bytes, language: str) -> list[Definition]:
    """Every definition in source, outermost first, with 1-based inclusive line ranges.

    A query finds the candidate nodes in C (walking every node in Python costs ~10x more);
    nesting, and so the qualified name, follows from byte-range containment.
    """
    import tree_sitter

    grammar = GRAMMARS[language]
    tree = tree_sitter.Parser(_language(language)).parse(source)
    found: list[Definition] = []
    scopes: list[tuple[int, str]] = []  # (end byte, prefix for members) of enclosing definitions
    for node, name in _candidates(language, tree.root_node):
        if not name.text:
            continue
        while scopes and scopes[-1][0] <= node.start_byte:
            scopes.pop()
        prefix = scopes[-1][1] if scopes else ""
        qualname = name.text if name.absolute else prefix + name.text
        start = _first_row(node, grammar.wrappers, grammar.attached)
        found.append(Definition(qualname, node.type, start + 1, _last_row(node) + 1, name.by_text))
        scopes.append((node.end_byte, qualname + name.sep))
    return found


def innermost_by_line(defs: list[Definition], line_count: int) -> list[Definition | None]:
    """For each line (index = line number), the innermost definition that encloses it."""
    owner: list[Definition | None] = [None] * (line_count + 2)
    for definition in defs:  # outer before inner, so inner ones paint over
        for line in range(definition.start, min(definition.end, line_count + 1) + 1):
            owner[line] = definition
    return owner


def line_owners(source: bytes, language: str) -> list[Definition | None]:
    """The innermost definition of every line of source (index = 1-based line number)."""
    return innermost_by_line(definitions(source, language), source.count(b"\n") + 1)


def names_in(owners: list[Definition | None], spans: Iterable[tuple[int, int]]) -> set[str]:
    """Qualified names of the innermost definitions covering any line of spans (start, count)."""
    return {d.qualname for d in names_in_defs(owners, spans)}


def touched(source: bytes, language: str, ranges: Iterable[tuple[int, int]]) -> set[str]:
    """Qualified names of the definitions that changed line ranges (start, count) fall in."""
    spans = [(start, count) for start, count in ranges if count > 0]
    return names_in(line_owners(source, language), spans) if spans else set()


Hunk = tuple[int, int, int, int]  # (old start, old count, new start, new count), as in `@@`


def changed_names(
    old: list[Definition | None], new: list[Definition | None], hunks: Iterable[Hunk]
) -> set[str]:
    """The definitions one file's change touches: what its hunks remove or replace, named in
    the old version, and what they add, named in the new one."""
    names: set[str] = set()
    for old_start, old_count, new_start, new_count in hunks:
        names |= names_in(old, [(old_start, old_count)])
        added = names_in_defs(new, [(new_start, new_count)])
        names |= {d.qualname for d in added if not (d.by_text and old_count)}
    return names


def names_in_defs(owners: list[Definition | None], spans: Iterable[tuple[int, int]]) -> set[Definition]:
    """The innermost definitions covering any line of spans (start, count)."""
    found: set[Definition] = set()
    for start, count in spans:
        for line in range(max(start, 1), min(start + count, len(owners) - 1)):
            definition = owners[line]
            if definition is not None:
                found.add(definition)
    return found
