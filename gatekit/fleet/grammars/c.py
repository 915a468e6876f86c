"""C and C++: functions by declarator, tagged types with a body, fields, macros, namespaces;
C++ overloads by parameter types."""

from __future__ import annotations

from gatekit.fleet.grammars.base import (
    Grammar,
    Name,
    Namer,
    Node,
    by_name,
    text_of,
)

_DECLARATORS = ("declarator", "name")


def _declared_name(node: Node | None) -> str | None:
    """The identifier a C declarator declares (through pointers, arrays, functions, inits)."""
    while node is not None:
        if node.type in (
            "identifier",
            "field_identifier",
            "type_identifier",
            "qualified_identifier",
            "destructor_name",
            "operator_name",
        ):
            return text_of(node)
        node = next((c for c in map(node.child_by_field_name, _DECLARATORS) if c is not None), None)
    return None


def _c_declaration(node: Node) -> Name | None:
    names = [_declared_name(d) for d in node.children_by_field_name("declarator")]
    found = [n for n in names if n]
    return Name(", ".join(found)) if found else None


def _c_function(node: Node) -> Name | None:
    name = _declared_name(node.child_by_field_name("declarator"))
    return Name(name) if name else None


def _cpp_function(node: Node) -> Name | None:
    found = _c_function(node)
    if found is None or node.parent is None:
        return found
    same = [c for c in node.parent.named_children if c.type == node.type and _c_function(c) == found]
    if len(same) < 2:
        return found
    declarator = node.child_by_field_name("declarator")
    while declarator is not None and declarator.type != "function_declarator":
        declarator = declarator.child_by_field_name("declarator")
    params = declarator.child_by_field_name("parameters") if declarator is not None else None
    types = [text_of(p.child_by_field_name("type")) for p in params.named_children] if params else []
    return Name(found.text + "(" + ", ".join(types) + ")")


def _c_tagged(node: Node) -> Name | None:
    """`struct point {...}` is a definition; `struct point p;` only mentions one."""
    if node.child_by_field_name("body") is None:
        return None
    return by_name(node)


def _scoped(namer: Namer, sep: str) -> Namer:
    def scoped(node: Node) -> Name | None:
        found = namer(node)
        return Name(found.text, found.absolute, sep, found.by_text) if found is not None else None

    return scoped


_C_DEFINITIONS: dict[str, Namer] = {
    "function_definition": _c_function,
    "struct_specifier": _c_tagged,
    "union_specifier": _c_tagged,
    "enum_specifier": _c_tagged,
    "preproc_def": by_name,
    "preproc_function_def": by_name,
    "type_definition": _c_declaration,
    "field_declaration": _c_declaration,
    "enumerator": by_name,
}
_C_ATTACHED = frozenset({"comment"})
_C_SILENT = frozenset({"access_specifier", ";"})


def _c_statement(node: Node) -> Name | None:
    if node.type == "declaration":
        return _c_declaration(node)
    return None


C = Grammar(
    "tree_sitter_c",
    "language",
    _C_DEFINITIONS,
    "(translation_unit (_) @stmt)",
    _c_statement,
    attached=_C_ATTACHED,
    silent=_C_SILENT,
)
CPP = Grammar(
    "tree_sitter_cpp",
    "language",
    {
        **_C_DEFINITIONS,
        "function_definition": _cpp_function,
        "class_specifier": _scoped(_c_tagged, "::"),
        "struct_specifier": _scoped(_c_tagged, "::"),
        "namespace_definition": _scoped(by_name, "::"),
    },
    "(translation_unit (_) @stmt) (declaration_list (_) @stmt)",
    _c_statement,
    attached=_C_ATTACHED,
    wrappers=frozenset({"template_declaration"}),
    silent=_C_SILENT,
)
