"""What counts as a definition in each language, and how a maintainer names it.

Each grammar lists the node types that are definitions with a namer for each, a query whose
`@stmt` captures are the statements of the containers (a module, a class or impl body): those
that are not definitions themselves are named by what they bind, else by their first line. A
namer returns None for a node that is not a definition where it stands (a local variable).
"""

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

# -- JavaScript / TypeScript -------------------------------------------------------------------

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

# -- C and C++ ---------------------------------------------------------------------------------

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
}
