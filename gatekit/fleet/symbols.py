"""Changed lines -> the definitions that enclose them, with tree-sitter grammars.

Each language lists the node types that count as a definition and how to name them; nested
definitions get qualified names (`Class.method`, `Type.method` for a Rust impl or a Go
receiver). Files in other languages (or that fail to parse) are tracked at file level only.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Optional

Node = Any  # tree_sitter.Node; typed loosely so this module imports without tree-sitter loaded


@dataclass(frozen=True)
class Definition:
    qualname: str
    kind: str
    start: int  # 1-based first line
    end: int  # 1-based last line


def _name(node: Node, field: str = "name") -> str | None:
    child = node.child_by_field_name(field)
    return child.text.decode("utf-8", "replace") if child is not None else None


def _go_method(node: Node) -> str | None:
    name = _name(node)
    receiver = node.child_by_field_name("receiver")
    if receiver is None or name is None:
        return name
    for param in receiver.named_children:
        kind = param.child_by_field_name("type")
        while kind is not None and kind.type in ("pointer_type", "generic_type"):
            inner = kind.child_by_field_name("type") or (
                kind.named_children[0] if kind.named_children else None
            )
            kind = inner
        if kind is not None:
            return f"{kind.text.decode('utf-8', 'replace')}.{name}"
    return name


def _js_variable(node: Node) -> str | None:
    value = node.child_by_field_name("value")
    if value is not None and value.type in (
        "arrow_function",
        "function_expression",
        "function",
        "class",
    ):
        return _name(node)
    return None


def _rust_impl(node: Node) -> str | None:
    kind = node.child_by_field_name("type")
    if kind is None:
        return None
    base = kind.child_by_field_name("type") if kind.type == "generic_type" else kind
    return (base or kind).text.decode("utf-8", "replace")


Namer = Callable[[Node], Optional[str]]
_BY_NAME: Namer = _name


@dataclass(frozen=True)
class Grammar:
    module: str
    function: str  # the module's language function (tree-sitter-typescript has two)
    definitions: dict[str, Namer]
    # A definition whose own name already carries its owner (Go methods) is not re-qualified.
    absolute: frozenset[str] = frozenset()


_JS = {
    "function_declaration": _BY_NAME,
    "generator_function_declaration": _BY_NAME,
    "class_declaration": _BY_NAME,
    "method_definition": _BY_NAME,
    "variable_declarator": _js_variable,
}
_TS = {
    **_JS,
    "abstract_class_declaration": _BY_NAME,
    "interface_declaration": _BY_NAME,
    "type_alias_declaration": _BY_NAME,
    "enum_declaration": _BY_NAME,
    "function_signature": _BY_NAME,
    "internal_module": _BY_NAME,
}

GRAMMARS: dict[str, Grammar] = {
    "python": Grammar(
        "tree_sitter_python",
        "language",
        {"function_definition": _BY_NAME, "class_definition": _BY_NAME},
    ),
    "rust": Grammar(
        "tree_sitter_rust",
        "language",
        {
            "function_item": _BY_NAME,
            "function_signature_item": _BY_NAME,
            "struct_item": _BY_NAME,
            "enum_item": _BY_NAME,
            "union_item": _BY_NAME,
            "trait_item": _BY_NAME,
            "impl_item": _rust_impl,
            "mod_item": _BY_NAME,
            "macro_definition": _BY_NAME,
        },
    ),
    "go": Grammar(
        "tree_sitter_go",
        "language",
        {"function_declaration": _BY_NAME, "method_declaration": _go_method, "type_spec": _BY_NAME},
        frozenset({"method_declaration"}),
    ),
    "javascript": Grammar("tree_sitter_javascript", "language", _JS),
    "typescript": Grammar("tree_sitter_typescript", "language_typescript", _TS),
    "tsx": Grammar("tree_sitter_typescript", "language_tsx", _TS),
    "java": Grammar(
        "tree_sitter_java",
        "language",
        {
            "class_declaration": _BY_NAME,
            "interface_declaration": _BY_NAME,
            "enum_declaration": _BY_NAME,
            "record_declaration": _BY_NAME,
            "annotation_type_declaration": _BY_NAME,
            "method_declaration": _BY_NAME,
            "constructor_declaration": _BY_NAME,
        },
    ),
    "ruby": Grammar(
        "tree_sitter_ruby",
        "language",
        {"class": _BY_NAME, "module": _BY_NAME, "method": _BY_NAME, "singleton_method": _BY_NAME},
    ),
}

EXTENSIONS = {
    ".py": "python",
    ".pyi": "python",
    ".rs": "rust",
    ".go": "go",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".java": "java",
    ".rb": "ruby",
}


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

    patterns = " ".join(f"({node_type}) @def" for node_type in GRAMMARS[name].definitions)
    return tree_sitter.Query(_language(name), patterns)


def definitions(source: bytes, language: str) -> list[Definition]:
    """Every definition in source, outermost first, with 1-based inclusive line ranges.

    A query finds the candidate nodes in C (walking every node in Python costs ~10x more);
    nesting, and so the qualified name, follows from byte-range containment.
    """
    import tree_sitter

    grammar = GRAMMARS[language]
    tree = tree_sitter.Parser(_language(language)).parse(source)
    query = _query(language)
    # tree-sitter >= 0.25 runs queries through a QueryCursor; 0.23 (the last release for
    # Python 3.9) has Query.captures, returning the same {capture name: nodes} mapping.
    cursor = getattr(tree_sitter, "QueryCursor", None)
    captures = cursor(query).captures(tree.root_node) if cursor else query.captures(tree.root_node)
    nodes = captures.get("def", [])
    nodes.sort(key=lambda n: (n.start_byte, -n.end_byte))
    found: list[Definition] = []
    scopes: list[tuple[int, str]] = []  # (end byte, qualname) of the enclosing named definitions
    for node in nodes:
        while scopes and scopes[-1][0] <= node.start_byte:
            scopes.pop()
        name = grammar.definitions[node.type](node)
        if not name:
            continue
        scope = scopes[-1][1] if scopes else ""
        qualname = name if not scope or node.type in grammar.absolute else f"{scope}.{name}"
        # A decorator belongs to the function it decorates.
        parent = node.parent
        outer = parent if parent is not None and parent.type == "decorated_definition" else node
        found.append(Definition(qualname, node.type, outer.start_point[0] + 1, node.end_point[0] + 1))
        scopes.append((node.end_byte, qualname))
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
    names: set[str] = set()
    for start, count in spans:
        for line in range(max(start, 1), min(start + count, len(owners) - 1)):
            definition = owners[line]
            if definition is not None:
                names.add(definition.qualname)
    return names


def touched(source: bytes, language: str, ranges: Iterable[tuple[int, int]]) -> set[str]:
    """Qualified names of the definitions that changed line ranges (start, count) fall in."""
    spans = [(start, count) for start, count in ranges if count > 0]
    return names_in(line_owners(source, language), spans) if spans else set()
