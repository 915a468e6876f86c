"""The shapes every grammar table shares: names, grammars and the namers they build on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Optional

Node = Any  # tree_sitter.Node; typed loosely so this module imports without tree-sitter loaded

TEXT_NAME_MAX = 60


@dataclass(frozen=True)
class Name:
    text: str
    absolute: bool = False  # already carries its owner (a Go method, `X.prototype.y`)
    sep: str = "."  # joins this definition's name to its members' names
    by_text: bool = False  # named by its first line, not by what it binds


Namer = Callable[[Node], Optional[Name]]


@dataclass(frozen=True)
class Grammar:
    module: str
    function: str  # the module's language function (tree-sitter-typescript has two)
    definitions: dict[str, Namer]
    statements: str = ""  # query patterns capturing container statements as @stmt
    statement: Namer | None = None  # names a statement that binds something (None: by its text)
    attached: frozenset[str] = frozenset()  # comments/attributes that belong to the next item
    wrappers: frozenset[str] = frozenset()  # a node whose first item it wraps (export, decorators)
    silent: frozenset[str] = frozenset()  # statements that are no definition (punctuation, labels)


def text_of(node: Node | None) -> str:
    return "" if node is None else " ".join(node.text.decode("utf-8", "replace").split())


def text_name(node: Node) -> str:
    """A statement named by its first line, as a reader would quote it."""
    first = node.text.decode("utf-8", "replace").split("\n", 1)[0]
    line = " ".join(first.split())
    return line if len(line) <= TEXT_NAME_MAX else line[: TEXT_NAME_MAX - 1] + "…"


def field_text(node: Node, name: str = "name") -> str | None:
    child = node.child_by_field_name(name)
    return text_of(child) if child is not None else None


def by_name(node: Node) -> Name | None:
    text = field_text(node)
    return Name(text) if text else None


def inside(node: Node, kinds: frozenset[str]) -> bool:
    """Is node nested (at any depth) in a node of one of kinds?"""
    parent = node.parent
    while parent is not None:
        if parent.type in kinds:
            return True
        parent = parent.parent
    return False


def same_named_siblings(node: Node, name: str) -> list[Node]:
    parent = node.parent
    if parent is None:
        return [node]
    return [c for c in parent.named_children if c.type == node.type and field_text(c) == name]


def signature(node: Node, params_field: str, type_field: str = "type") -> str:
    params = node.child_by_field_name(params_field)
    if params is None:
        params = next((c for c in node.named_children if "parameter" in c.type), None)
    types = []
    for param in params.named_children if params is not None else []:
        kind = param.child_by_field_name(type_field)
        if kind is None:
            kind = next((c for c in param.named_children if "type" in c.type), None)
        types.append(text_of(kind) if kind is not None else text_of(param))
    return "(" + ", ".join(types) + ")"


def overloadable(params_field: str) -> Namer:
    """Named by name, and by name and parameter types where the name is overloaded."""

    def namer(node: Node) -> Name | None:
        name = field_text(node)
        if not name:
            return None
        if len(same_named_siblings(node, name)) > 1:
            return Name(name + signature(node, params_field))
        return Name(name)

    return namer
