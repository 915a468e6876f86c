"""JavaScript, TypeScript and TSX: declarations, object-literal members, class properties,
assignments (`exports.x`, `X.prototype.y`) and wrapped components (`React.memo(function X…)`)."""

from __future__ import annotations

from gatekit.fleet.grammars.base import (
    Grammar,
    Name,
    Namer,
    Node,
    by_name,
    field_text,
    inside,
    text_of,
)

_JS_CODE = frozenset(
    {"statement_block", "arrow_function", "function_expression", "function", "generator_function"}
)
_JS_FUNCTIONS = frozenset(
    {"arrow_function", "function_expression", "function", "generator_function", "class"}
)


def _js_function_like(value: Node | None) -> bool:
    """A function, a class, or a call that wraps one (`React.memo(...)`, `useCallback(...)`)."""
    if value is None:
        return False
    if value.type in _JS_FUNCTIONS:
        return True
    if value.type == "call_expression":
        args = value.child_by_field_name("arguments")
        return args is not None and any(a.type in _JS_FUNCTIONS for a in args.named_children)
    return False


def _js_binding(node: Node, name_field: str, value_field: str = "value") -> Name | None:
    """A binding at module/class level, or one holding a function anywhere."""
    name = field_text(node, name_field)
    if not name:
        return None
    if _js_function_like(node.child_by_field_name(value_field)) or not inside(node, _JS_CODE):
        return Name(name.strip("'\"`"))
    return None


def _js_wrapped_function(node: Node) -> Name | None:
    """`React.memo(function Card() {...})`: the component is Card, wherever it is exported."""
    name = field_text(node)
    parent = node.parent
    if name and parent is not None and parent.type == "arguments" and not inside(node, _JS_CODE):
        return Name(name, absolute=True)
    return None


def _js_assigned(left: str) -> str:
    # `Cart.prototype.add = function` is Cart's method add; `module.exports.x` is exports.x.
    name = left.replace(".prototype.", ".")
    return name[len("module.") :] if name.startswith("module.exports.") else name


def _js_statement(node: Node) -> Name | None:
    if node.type == "export_statement":
        if node.child_by_field_name("declaration") is not None:
            return Name("")  # the declaration inside is the definition
        value = node.child_by_field_name("value")
        if value is not None and field_text(value):
            return Name("")  # `export default function Card() {}` is Card
        return Name("default") if value is not None else None
    if node.type in ("lexical_declaration", "variable_declaration"):
        return Name("")  # each declarator is a definition
    if node.type == "expression_statement" and node.named_children:
        inner = node.named_children[0]
        if inner.type in ("assignment_expression", "augmented_assignment_expression"):
            return Name(_js_assigned(text_of(inner.child_by_field_name("left"))), absolute=True)
    return None


_JS_DEFINITIONS: dict[str, Namer] = {
    "function_declaration": by_name,
    "generator_function_declaration": by_name,
    "class_declaration": by_name,
    "class": _js_wrapped_function,
    "method_definition": by_name,
    "function_expression": _js_wrapped_function,
    "function": _js_wrapped_function,
    "variable_declarator": lambda node: _js_binding(node, "name"),
    "field_definition": lambda node: _js_binding(node, "property"),
    "pair": lambda node: _js_binding(node, "key"),
}
_JS_COMMON = {
    "statement": _js_statement,
    "attached": frozenset({"comment", "decorator"}),
    "wrappers": frozenset({"export_statement", "lexical_declaration", "variable_declaration"}),
    "silent": frozenset({"empty_statement", "hash_bang_line"}),
}
_TS_DEFINITIONS: dict[str, Namer] = {
    **_JS_DEFINITIONS,
    "public_field_definition": lambda node: _js_binding(node, "name"),
    "abstract_class_declaration": by_name,
    "interface_declaration": by_name,
    "type_alias_declaration": by_name,
    "enum_declaration": by_name,
    "function_signature": by_name,
    "abstract_method_signature": by_name,
    "method_signature": by_name,
    "property_signature": by_name,
    "internal_module": by_name,
}
_JS_STATEMENTS = "(program (_) @stmt)"


def _js_grammar(module: str, function: str, definitions: dict[str, Namer]) -> Grammar:
    return Grammar(module, function, definitions, _JS_STATEMENTS, **_JS_COMMON)  # type: ignore[arg-type]


JAVASCRIPT = _js_grammar("tree_sitter_javascript", "language", _JS_DEFINITIONS)
TYPESCRIPT = _js_grammar("tree_sitter_typescript", "language_typescript", _TS_DEFINITIONS)
TSX = _js_grammar("tree_sitter_typescript", "language_tsx", _TS_DEFINITIONS)
