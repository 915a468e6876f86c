from __future__ import annotations

import pytest

from gatekit.fleet import symbols

SOURCES = {
    "python": (
        "a.py",
        (
            "import os\n\n@decorator\ndef top():\n    return 1\n\nclass Store:\n"
            "    def save(self):\n        a = 1\n        b = 2\n"
        ),
        {4: "top", 3: "top", 9: "Store.save", 7: "Store", 1: "import os", 2: None},
    ),
    "rust": (
        "lib.rs",
        (
            "struct Pool {\n    n: u32,\n}\n\nimpl Pool {\n"
            "    fn grow(&mut self) {\n        self.n += 1;\n    }\n}\n\n"
            "fn main() {}\n"
        ),
        {1: "Pool", 2: "Pool.n", 7: "Pool.grow", 11: "main"},
    ),
    "go": (
        "x.go",
        ("package x\n\ntype T struct {\n\tA int\n}\n\nfunc (t *T) Run() {\n\tt.A++\n}\n\nfunc Free() {}\n"),
        {3: "T", 4: "T.A", 8: "T.Run", 11: "Free", 1: "package x", 2: None},
    ),
    "javascript": (
        "x.js",
        (
            "class Cart {\n  add(item) {\n    this.items.push(item);\n  }\n}\n"
            "const total = (xs) => {\n  return 0;\n};\n"
        ),
        {3: "Cart.add", 7: "total"},
    ),
    "typescript": (
        "x.ts",
        (
            "interface Shape {\n  area(): number;\n}\n"
            "class Sq implements Shape {\n  area(): number {\n    return 1;\n"
            "  }\n}\n"
        ),
        {2: "Shape.area", 6: "Sq.area"},
    ),
    "tsx": ("x.tsx", "const View = () => {\n  return <div/>;\n};\n", {2: "View"}),
    "java": (
        "A.java",
        "class Account {\n  int n;\n  void deposit(int x) {\n    n += x;\n  }\n}\n",
        {2: "Account.n", 4: "Account.deposit"},
    ),
    "ruby": (
        "a.rb",
        "module Billing\n  class Invoice\n    def total\n      1\n    end\n  end\nend\n",
        {4: "Billing.Invoice.total", 2: "Billing.Invoice"},
    ),
}


@pytest.mark.parametrize("language", sorted(SOURCES))
def test_changed_line_maps_to_innermost_enclosing_definition(language: str) -> None:
    path, source, expectations = SOURCES[language]
    assert symbols.language_of(path) == language
    for line, expected in expectations.items():
        found = symbols.touched(source.encode(), language, [(line, 1)])
        assert found == ({expected} if expected else set()), (language, line)


def test_files_without_a_grammar_have_no_language() -> None:
    assert symbols.language_of("config/settings.toml") is None
    assert symbols.language_of("dir.py/Makefile") is None
    assert symbols.language_of("Main.JAVA") == "java"


def test_zero_count_range_touches_nothing() -> None:
    assert symbols.touched(b"def f():\n    pass\n", "python", [(1, 0)]) == set()


def test_unparseable_source_still_yields_what_it_can() -> None:
    source = b"def ok():\n    return 1\n\ndef broken(:\n"
    assert "ok" in symbols.touched(source, "python", [(2, 1)])
