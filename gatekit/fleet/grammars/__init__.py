"""What counts as a definition in each language, and how a maintainer names it.

Each grammar lists the node types that are definitions with a namer for each, a query whose
`@stmt` captures are the statements of the containers (a module, a class or impl body): those
that are not definitions themselves are named by what they bind, else by their first line. A
namer returns None for a node that is not a definition where it stands (a local variable).
"""

from __future__ import annotations

from gatekit.fleet.grammars.base import (
    Grammar,
    Name,
    Node,
    by_name,
    field_text,
    overloadable,
    text_name,
    text_of,
)
from gatekit.fleet.grammars.c import CPP, C
from gatekit.fleet.grammars.js import JAVASCRIPT, TSX, TYPESCRIPT
from gatekit.fleet.grammars.kotlin import KOTLIN

__all__ = ["EXTENSIONS", "GRAMMARS", "Grammar", "Name", "Node", "text_name"]

# -- Python ------------------------------------------------------------------------------------


def _python_statement(node: Node) -> Name | None:
    if node.type == "expression_statement" and node.named_children:
        inner = node.named_children[0]
        if inner.type in ("assignment", "augmented_assignment"):
            return Name(text_of(inner.child_by_field_name("left")))
        if inner.type == "string" and len(node.named_children) == 1:
            return Name("")  # a docstring belongs to what it documents
    return None


PYTHON = Grammar(
    "tree_sitter_python",
    "language",
    {"function_definition": by_name, "class_definition": by_name},
    "(module (_) @stmt) (class_definition body: (block (_) @stmt))",
    _python_statement,
    attached=frozenset({"comment", "decorator"}),
    wrappers=frozenset({"decorated_definition"}),
    silent=frozenset({"decorated_definition", "pass_statement"}),
)

# -- Rust --------------------------------------------------------------------------------------


def _strip_path(text: str) -> str:
    """`fmt::Debug` -> `Debug`, `std::convert::From<u8>` -> `From<u8>`."""
    head, angle, rest = text.partition("<")
    return head.rsplit("::", 1)[-1] + angle + rest


def _rust_impl(node: Node) -> Name | None:
    kind = node.child_by_field_name("type")
    if kind is None:
        return None
    base = kind.child_by_field_name("type") if kind.type == "generic_type" else kind
    owner = text_of(base or kind)
    trait = node.child_by_field_name("trait")
    if trait is None:
        return Name(owner)
    return Name(f"{owner} as {_strip_path(text_of(trait))}", sep="::")


RUST = Grammar(
    "tree_sitter_rust",
    "language",
    {
        **dict.fromkeys(
            (
                "function_item",
                "function_signature_item",
                "struct_item",
                "enum_item",
                "union_item",
                "trait_item",
                "mod_item",
                "macro_definition",
                "const_item",
                "static_item",
                "type_item",
                "associated_type",
                "field_declaration",
                "enum_variant",
            ),
            by_name,
        ),
        "impl_item": _rust_impl,
    },
    "(source_file (_) @stmt) (declaration_list (_) @stmt)",
    attached=frozenset({"line_comment", "block_comment", "attribute_item"}),
    silent=frozenset({"empty_statement"}),
)

# -- Go ----------------------------------------------------------------------------------------


def _go_function(node: Node) -> Name | None:
    name = field_text(node)
    if name != "init" or node.parent is None:
        return Name(name) if name else None
    inits = [c for c in node.parent.named_children if c.type == node.type and field_text(c) == "init"]
    if len(inits) < 2:
        return Name(name)
    return Name(f"init#{[c.id for c in inits].index(node.id) + 1}")


def _go_method(node: Node) -> Name | None:
    name = field_text(node)
    receiver = node.child_by_field_name("receiver")
    if receiver is None or name is None:
        return Name(name) if name else None
    for param in receiver.named_children:
        kind = param.child_by_field_name("type")
        while kind is not None and kind.type in ("pointer_type", "generic_type"):
            kind = kind.child_by_field_name("type") or (
                kind.named_children[0] if kind.named_children else None
            )
        if kind is not None:
            return Name(f"{text_of(kind)}.{name}", absolute=True)
    return Name(name)


def _go_names(node: Node) -> Name | None:
    names = [text_of(c) for i, c in enumerate(node.children) if node.field_name_for_child(i) == "name"]
    if not names:
        kind = node.child_by_field_name("type")  # an embedded struct field is named by its type
        return Name(text_of(kind).lstrip("*")) if kind is not None else None
    return Name(", ".join(names))


def _go_top_level_names(node: Node) -> Name | None:
    """A package-level const or var (a local one is part of its function)."""
    declaration = node.parent
    if declaration is not None and declaration.type == "var_spec_list":
        declaration = declaration.parent
    if declaration is None or declaration.parent is None or declaration.parent.type != "source_file":
        return None
    return _go_names(node)


GO = Grammar(
    "tree_sitter_go",
    "language",
    {
        "function_declaration": _go_function,
        "method_declaration": _go_method,
        "type_spec": by_name,
        "type_alias": by_name,
        "const_spec": _go_top_level_names,
        "var_spec": _go_top_level_names,
        "field_declaration": _go_names,
        "method_elem": by_name,
        "method_spec": by_name,
    },
    "(source_file (_) @stmt)",
    attached=frozenset({"comment"}),
    wrappers=frozenset({"type_declaration", "const_declaration", "var_declaration", "var_spec_list"}),
    silent=frozenset({"type_declaration", "const_declaration", "var_declaration"}),
)

# -- Java --------------------------------------------------------------------------------------


def _java_field(node: Node) -> Name | None:
    names = [field_text(d) for d in node.children_by_field_name("declarator")]
    return Name(", ".join(n for n in names if n)) if any(names) else None


JAVA = Grammar(
    "tree_sitter_java",
    "language",
    {
        **dict.fromkeys(
            (
                "class_declaration",
                "interface_declaration",
                "enum_declaration",
                "record_declaration",
                "annotation_type_declaration",
                "enum_constant",
            ),
            by_name,
        ),
        "method_declaration": overloadable("parameters"),
        "constructor_declaration": overloadable("parameters"),
        "field_declaration": _java_field,
        "constant_declaration": _java_field,
    },
    "(program (_) @stmt) (class_body (_) @stmt) (interface_body (_) @stmt)",
    attached=frozenset({"line_comment", "block_comment"}),
)

# -- Ruby --------------------------------------------------------------------------------------


def _ruby_statement(node: Node) -> Name | None:
    if node.type == "assignment":
        return Name(text_of(node.child_by_field_name("left")))
    return None


RUBY = Grammar(
    "tree_sitter_ruby",
    "language",
    dict.fromkeys(("class", "module", "method", "singleton_method", "singleton_class"), by_name),
    "(program (_) @stmt) (class (body_statement (_) @stmt)) (module (body_statement (_) @stmt))",
    _ruby_statement,
    attached=frozenset({"comment"}),
)


GRAMMARS: dict[str, Grammar] = {
    "python": PYTHON,
    "rust": RUST,
    "go": GO,
    "javascript": JAVASCRIPT,
    "typescript": TYPESCRIPT,
    "tsx": TSX,
    "java": JAVA,
    "ruby": RUBY,
    "c": C,
    "cpp": CPP,
    "kotlin": KOTLIN,
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
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".hh": "cpp",
    ".hpp": "cpp",
    ".hxx": "cpp",
    ".kt": "kotlin",
    ".kts": "kotlin",
}
