"""Kotlin: classes, objects and companions, functions (overloads by parameter types),
properties at file and class level, constructor properties and enum entries."""

from __future__ import annotations

from gatekit.fleet.grammars.base import Grammar, Name, Node, by_name, overloadable, text_of

_CODE = frozenset({"function_body", "lambda_literal", "anonymous_initializer", "getter", "setter"})


def _first_identifier(node: Node) -> Name | None:
    found = next((c for c in node.named_children if c.type in ("identifier", "simple_identifier")), None)
    return Name(text_of(found)) if found is not None else None


def _property(node: Node) -> Name | None:
    """A property of a file or class (a `val` in a function body is part of the function)."""
    parent = node.parent
    while parent is not None:
        if parent.type in _CODE:
            return None
        parent = parent.parent
    variable = next((c for c in node.named_children if c.type == "variable_declaration"), None)
    return _first_identifier(variable) if variable is not None else None


def _companion(node: Node) -> Name | None:
    return by_name(node) or Name("Companion")


KOTLIN = Grammar(
    "tree_sitter_kotlin",
    "language",
    {
        "class_declaration": by_name,
        "object_declaration": by_name,
        "companion_object": _companion,
        "function_declaration": overloadable("parameters"),
        "property_declaration": _property,
        "class_parameter": _first_identifier,
        "enum_entry": _first_identifier,
    },
    "(source_file (_) @stmt) (class_body (_) @stmt)",
    attached=frozenset({"line_comment", "block_comment"}),
)
