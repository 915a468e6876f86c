"""Two-branch cases per language: a base file, two edits, and the definitions a maintainer
would say each branch touched. Used by test_symbol_matrix.py."""

from __future__ import annotations

from typing import NamedTuple


class Case(NamedTuple):
    id: str
    language: str
    base: str
    edit_a: tuple[str, str]  # (old text, new text), replaced once in base
    edit_b: tuple[str, str]
    touched_a: frozenset[str]
    touched_b: frozenset[str]


def names(*items: str) -> frozenset[str]:
    return frozenset(items)


PYTHON = '''"""Settings and storage."""

import os
from typing import Any

# Every lint the tool knows, by name.
LINTS = {
    "unused": 1,
    "shadow": 2,
    "long-line": 3,
}
TIMEOUT = 30


# Retried on failure.
@retry(times=3)
def connect(url):
    return open_socket(url)


class Store:
    """Keeps records."""

    table = "records"
    limit = 100

    def save(self, record):
        validate(record)
        self.rows.append(record)
        return True

    @property
    def size(self):
        return len(self.rows)


if __name__ == "__main__":
    connect(os.environ["URL"])
'''

RUST = """use std::fmt;

static LINTS: &[&Lint] = &[
    &UNUSED,
    &SHADOW,
    &LONG_LINE,
];

const MAX_DEPTH: usize = 8;

/// Settings for one run.
#[derive(Clone)]
pub struct Config {
    /// How deep to look.
    pub depth: usize,
    pub verbose: bool,
}

impl Config {
    pub const DEFAULT_DEPTH: usize = 4;

    pub fn new() -> Self {
        Config { depth: 4, verbose: false }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "Config({})", self.depth)
    }
}

impl fmt::Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "depth {}", self.depth)
    }
}

declare_lint_pass!(Lints => [UNUSED, SHADOW]);

pub enum Level {
    Allow,
    Warn,
}
"""

GO = """package server

import (
	"fmt"
	"os"
)

// DefaultPort is used when none is configured.
const DefaultPort = 8080

const (
	ReadTimeout  = 5
	WriteTimeout = 10
)

var registry = map[string]int{
	"a": 1,
}

// Server serves requests.
type Server struct {
	// Port to listen on.
	Port int
	Name string
}

func init() {
	registry["b"] = 2
}

func init() {
	fmt.Println("ready")
}

// Start runs the server.
func (s *Server) Start() error {
	fmt.Println(s.Port)
	return nil
}

func (s Server) Stop() {
	os.Exit(0)
}

func helper() int {
	return 1
}
"""

JAVASCRIPT = """import { api } from './api';

/** Handlers keyed by route. */
const routes = {
  home() {
    return 'home';
  },
  about: function () {
    return 'about';
  },
  contact: () => 'contact',
};

const LIMIT = 10;

exports.render = function (view) {
  return view.toString();
};

Cart.prototype.add = function (item) {
  this.items.push(item);
};

const Card = React.memo(function CardView(props) {
  return props.title;
});

class Counter {
  count = 0;

  increment = () => {
    this.count += 1;
  };

  reset() {
    this.count = 0;
  }
}

export default function () {
  return routes.home();
}
"""

TYPESCRIPT = """import { Injectable } from './di';

export interface Shape {
  area(): number;
  name: string;
}

export type Id = string | number;

export enum Color {
  Red,
  Green,
}

@Injectable()
export class Service {
  private cache: Map<string, number> = new Map();

  @Log()
  fetch(id: Id): number {
    return this.cache.get(String(id)) ?? 0;
  }

  handle = (id: Id): void => {
    this.cache.delete(String(id));
  };
}

export function parse(input: string): number;
export function parse(input: number): number;
export function parse(input: any): number {
  return Number(input);
}

export default {
  name: 'service',
  version: 1,
};
"""

TSX = """import React from 'react';

export const Header = ({ title }: { title: string }) => {
  const onClick = useCallback(() => {
    track(title);
  }, [title]);
  return <h1 onClick={onClick}>{title}</h1>;
};

export default React.memo(function Footer() {
  return <footer>bye</footer>;
});
"""

JAVA = """package shop;

import java.util.List;

/** An account. */
public class Account {
    private int balance;
    public static final int LIMIT = 100;

    /** Adds money. */
    @Override
    public void deposit(int amount) {
        balance += amount;
    }

    public void deposit(long amount) {
        balance += (int) amount;
    }

    public Account() {
        balance = 0;
    }

    static {
        System.out.println("loaded");
    }
}

enum Kind {
    CHECKING,
    SAVINGS;
}
"""

RUBY = """require 'json'

module Billing
  TAX = 0.2

  class Invoice < Base
    has_many :lines

    # Total with tax.
    def total
      lines.sum(&:amount) * (1 + TAX)
    end

    def self.build(attrs)
      new(attrs)
    end
  end
end

VERSION = '1.0'
"""

C = """#include <stdio.h>

#define BUFFER_SIZE 256

/* A 2D point. */
struct point {
    int x;
    int y;
};

static int table[] = {
    1,
    2,
};

int add(int a, int b) {
    return a + b;
}

/* Entry point. */
int main(void) {
    printf("%d", add(1, 2));
    return 0;
}
"""

CPP = """#include <string>

namespace geo {

/// A shape.
class Shape {
public:
    int sides;
    virtual double area() const;
};

double Shape::area() const {
    return 0.0;
}

int scale(int x) {
    return x * 2;
}

double scale(double x) {
    return x * 2.0;
}

}  // namespace geo
"""

KOTLIN = """package shop

import kotlin.math.max

const val LIMIT = 100

/** An account. */
@Serializable
class Account(val owner: String) {
    var balance: Int = 0

    // Adds money.
    fun deposit(amount: Int) {
        balance += amount
    }

    fun deposit(amount: Long) {
        balance += amount.toInt()
    }

    companion object {
        const val FEE = 2
    }
}

enum class Kind {
    CHECKING,
    SAVINGS
}
"""


def _cases(language: str, base: str, rows: list[tuple]) -> list[Case]:
    return [
        Case(f"{language}-{row[0]}", language, base, row[1], row[2], names(*row[3]), names(*row[4]))
        for row in rows
    ]


CASES: list[Case] = [
    *_cases(
        "python",
        PYTHON,
        [
            (
                "same-function-different-lines",
                ("validate(record)", "validate(record, strict=True)"),
                ("return True", "return bool(record)"),
                ["Store.save"],
                ["Store.save"],
            ),
            (
                "module-dict-entries",
                ('"unused": 1', '"unused": 10'),
                ('"long-line": 3', '"long-line": 4'),
                ["LINTS"],
                ["LINTS"],
            ),
            (
                "dict-vs-constant",
                ('"shadow": 2', '"shadow": 5'),
                ("TIMEOUT = 30", "TIMEOUT = 60"),
                ["LINTS"],
                ["TIMEOUT"],
            ),
            (
                "comment-above-dict",
                ("# Every lint the tool knows, by name.", "# Every lint, by name."),
                ('"unused": 1', '"unused": 0'),
                ["LINTS"],
                ["LINTS"],
            ),
            (
                "decorator-vs-body",
                ("@retry(times=3)", "@retry(times=5)"),
                ("return open_socket(url)", "return open_socket(url, timeout=1)"),
                ["connect"],
                ["connect"],
            ),
            (
                "comment-above-decorator",
                ("# Retried on failure.", "# Retried when the socket fails."),
                ("return open_socket(url)", "return open_socket(url, 1)"),
                ["connect"],
                ["connect"],
            ),
            (
                "class-attributes",
                ('table = "records"', 'table = "rows"'),
                ("limit = 100", "limit = 200"),
                ["Store.table"],
                ["Store.limit"],
            ),
            (
                "property-decorator-vs-method",
                ("    @property\n    def size", "    @cached_property\n    def size"),
                ("return len(self.rows)", "return self.count"),
                ["Store.size"],
                ["Store.size"],
            ),
            (
                "docstring-vs-attribute",
                ('"""Keeps records."""', '"""Keeps records safe."""'),
                ("limit = 100", "limit = 1"),
                ["Store"],
                ["Store.limit"],
            ),
            (
                "main-block",
                ('connect(os.environ["URL"])', 'connect(os.environ.get("URL"))'),
                ('connect(os.environ["URL"])', 'connect("local")'),
                ['if __name__ == "__main__":'],
                ['if __name__ == "__main__":'],
            ),
            (
                "imports-different-lines",
                ("import os", "import os.path"),
                ("from typing import Any", "from typing import Any, Dict"),
                ["import os"],
                ["from typing import Any"],
            ),
            (
                "different-methods",
                ("validate(record)", "check(record)"),
                ("return len(self.rows)", "return 0"),
                ["Store.save"],
                ["Store.size"],
            ),
            (
                "same-import-line",
                ("import os", "import os, sys"),
                ("import os", "import os, re"),
                ["import os"],
                ["import os"],
            ),
        ],
    ),
    *_cases(
        "rust",
        RUST,
        [
            (
                "static-lints",
                ("&UNUSED,\n    &SHADOW", "&UNUSED,\n    &NEW_ONE,\n    &SHADOW"),
                ("&LONG_LINE,", "&LONG_LINE,\n    &OTHER,"),
                ["LINTS"],
                ["LINTS"],
            ),
            (
                "debug-vs-display-fmt",
                ('"Config({})"', '"Config[{}]"'),
                ('"depth {}"', '"depth={}"'),
                ["Config as Debug::fmt"],
                ["Config as Display::fmt"],
            ),
            (
                "same-trait-fmt",
                ('write!(f, "Config({})", self.depth)', 'write!(f, "C({})", self.depth)'),
                (
                    "impl fmt::Debug for Config {\n    fn fmt",
                    "impl fmt::Debug for Config {\n    #[inline]\n    fn fmt",
                ),
                ["Config as Debug::fmt"],
                ["Config as Debug::fmt"],
            ),
            (
                "field-vs-assoc-const",
                ("pub verbose: bool", "pub verbose: u8"),
                ("DEFAULT_DEPTH: usize = 4", "DEFAULT_DEPTH: usize = 6"),
                ["Config.verbose"],
                ["Config.DEFAULT_DEPTH"],
            ),
            (
                "doc-comment-of-field",
                ("/// How deep to look.", "/// How deep to search."),
                ("pub depth: usize", "pub depth: u32"),
                ["Config.depth"],
                ["Config.depth"],
            ),
            (
                "derive-vs-struct-doc",
                ("#[derive(Clone)]", "#[derive(Clone, Debug)]"),
                ("/// Settings for one run.", "/// Settings."),
                ["Config"],
                ["Config"],
            ),
            (
                "const-vs-fn",
                ("MAX_DEPTH: usize = 8", "MAX_DEPTH: usize = 9"),
                ("Config { depth: 4, verbose: false }", "Config { depth: 5, verbose: false }"),
                ["MAX_DEPTH"],
                ["Config.new"],
            ),
            (
                "item-macro",
                ("[UNUSED, SHADOW]", "[UNUSED, SHADOW, LONG_LINE]"),
                ("[UNUSED, SHADOW]", "[SHADOW, UNUSED]"),
                ["declare_lint_pass!(Lints => [UNUSED, SHADOW]);"],
                ["declare_lint_pass!(Lints => [UNUSED, SHADOW]);"],
            ),
            (
                "enum-variants",
                ("    Allow,", "    Allow,\n    Deny,"),
                ("    Warn,", "    Warn,\n    Forbid,"),
                ["Level.Deny"],
                ["Level.Forbid"],
            ),
            (
                "use-line",
                ("use std::fmt;", "use std::fmt::{self, Write};"),
                ("use std::fmt;", "use core::fmt;"),
                ["use std::fmt;"],
                ["use std::fmt;"],
            ),
            (
                "inherent-new-twice",
                ("depth: 4, verbose", "depth: 3, verbose"),
                ("verbose: false }", "verbose: true }"),
                ["Config.new"],
                ["Config.new"],
            ),
        ],
    ),
    *_cases(
        "go",
        GO,
        [
            (
                "two-inits",
                ('registry["b"] = 2', 'registry["c"] = 3'),
                ('fmt.Println("ready")', 'fmt.Println("go")'),
                ["init#1"],
                ["init#2"],
            ),
            (
                "same-init",
                ('registry["b"] = 2', 'registry["b"] = 4'),
                ("func init() {\n\tregistry", "func init() {\n\t// seed\n\tregistry"),
                ["init#1"],
                ["init#1"],
            ),
            (
                "const-vs-its-doc",
                ("DefaultPort = 8080", "DefaultPort = 9090"),
                ("// DefaultPort is used", "// DefaultPort is the port used"),
                ["DefaultPort"],
                ["DefaultPort"],
            ),
            (
                "const-block-specs",
                ("ReadTimeout  = 5", "ReadTimeout  = 6"),
                ("WriteTimeout = 10", "WriteTimeout = 20"),
                ["ReadTimeout"],
                ["WriteTimeout"],
            ),
            (
                "var-map",
                ('"a": 1,', '"a": 1,\n\t"x": 9,'),
                ("var registry = map[string]int{", 'var registry = map[string]int{\n\t"z": 0,'),
                ["registry"],
                ["registry"],
            ),
            (
                "struct-fields",
                ("Port int", "Port uint16"),
                ("Name string", "Name []byte"),
                ["Server.Port"],
                ["Server.Name"],
            ),
            (
                "field-doc",
                ("// Port to listen on.", "// Port to bind."),
                ("Port int", "Port int64"),
                ["Server.Port"],
                ["Server.Port"],
            ),
            (
                "method-doc-vs-body",
                ("// Start runs the server.", "// Start starts serving."),
                ("fmt.Println(s.Port)", "fmt.Println(s.Name)"),
                ["Server.Start"],
                ["Server.Start"],
            ),
            (
                "pointer-and-value-receivers",
                ("fmt.Println(s.Port)", "fmt.Println(s.Port, 1)"),
                ("os.Exit(0)", "os.Exit(1)"),
                ["Server.Start"],
                ["Server.Stop"],
            ),
            (
                "import-block",
                ('"fmt"', '"fmt"\n\t"log"'),
                ('"os"', '"os"\n\t"io"'),
                ["import ("],
                ["import ("],
            ),
            (
                "type-doc-vs-field",
                ("// Server serves requests.", "// Server serves HTTP."),
                ("Name string", "Name string // display"),
                ["Server"],
                ["Server.Name"],
            ),
            (
                "function-vs-method",
                ("return 1", "return 2"),
                ("return nil", 'return fmt.Errorf("x")'),
                ["helper"],
                ["Server.Start"],
            ),
        ],
    ),
    *_cases(
        "javascript",
        JAVASCRIPT,
        [
            (
                "object-literal-methods",
                ("return 'home';", "return 'index';"),
                ("return 'about';", "return 'about us';"),
                ["routes.home"],
                ["routes.about"],
            ),
            (
                "same-object-method",
                ("return 'home';", "return 'HOME';"),
                ("  home() {", "  home() {\n    log();"),
                ["routes.home"],
                ["routes.home"],
            ),
            (
                "arrow-pair",
                ("contact: () => 'contact'", "contact: () => 'mail'"),
                ("contact: () => 'contact'", "contact: () => 'phone'"),
                ["routes.contact"],
                ["routes.contact"],
            ),
            (
                "jsdoc-belongs-to-const",
                ("/** Handlers keyed by route. */", "/** Route handlers. */"),
                ("  contact: () => 'contact',\n};", "  contact: () => 'contact',\n  faq() {},\n};"),
                ["routes"],
                ["routes.faq"],
            ),
            (
                "exports-function",
                ("return view.toString();", "return String(view);"),
                ("exports.render = function (view) {", "exports.render = function (view, opts) {"),
                ["exports.render"],
                ["exports.render"],
            ),
            (
                "prototype-method",
                ("this.items.push(item);", "this.items.unshift(item);"),
                ("this.items.push(item);", "this.items.push(item);\n  this.count++;"),
                ["Cart.add"],
                ["Cart.add"],
            ),
            (
                "memo-wrapped-function",
                ("return props.title;", "return props.title.trim();"),
                ("function CardView(props) {", "function CardView(props) {\n  log(props);"),
                ["CardView"],
                ["CardView"],
            ),
            (
                "class-field-arrow",
                ("this.count += 1;", "this.count += 2;"),
                ("this.count = 0;\n  }", "this.count = -1;\n  }"),
                ["Counter.increment"],
                ["Counter.reset"],
            ),
            (
                "class-fields",
                ("count = 0;", "count = 1;"),
                ("this.count += 1;", "this.count++;"),
                ["Counter.count"],
                ["Counter.increment"],
            ),
            (
                "anonymous-default-export",
                ("return routes.home();", "return routes.about();"),
                ("export default function () {", "export default function (req) {"),
                ["default"],
                ["default"],
            ),
            (
                "top-level-constant",
                ("const LIMIT = 10;", "const LIMIT = 20;"),
                ("const LIMIT = 10;", "const LIMIT = 5;"),
                ["LIMIT"],
                ["LIMIT"],
            ),
            (
                "import-line",
                ("import { api } from './api';", "import { api, v2 } from './api';"),
                ("return 'about';", "return api.about;"),
                ["import { api } from './api';"],
                ["routes.about"],
            ),
        ],
    ),
    *_cases(
        "typescript",
        TYPESCRIPT,
        [
            (
                "interface-members",
                ("area(): number;", "area(): bigint;"),
                ("name: string;", "name?: string;"),
                ["Shape.area"],
                ["Shape.name"],
            ),
            (
                "type-alias",
                ("string | number", "string | bigint"),
                ("string | number", "number"),
                ["Id"],
                ["Id"],
            ),
            ("enum", ("  Red,", "  Red,\n  Blue,"), ("  Green,", "  Green,\n  Black,"), ["Color"], ["Color"]),
            (
                "method-decorator-vs-body",
                ("@Log()", "@Log('fetch')"),
                ("?? 0;", "?? -1;"),
                ["Service.fetch"],
                ["Service.fetch"],
            ),
            (
                "class-decorator-vs-field",
                ("@Injectable()", "@Injectable({ root: true })"),
                ("new Map();", "new Map([]);"),
                ["Service"],
                ["Service.cache"],
            ),
            (
                "arrow-property",
                ("this.cache.delete(String(id));", "this.cache.clear();"),
                ("?? 0;", "?? 1;"),
                ["Service.handle"],
                ["Service.fetch"],
            ),
            (
                "overload-signatures",
                ("parse(input: string): number;", "parse(input: string, radix?: number): number;"),
                ("return Number(input);", "return +input;"),
                ["parse"],
                ["parse"],
            ),
            (
                "default-export-object",
                ("name: 'service',", "name: 'svc',"),
                ("version: 1,", "version: 2,"),
                ["default.name"],
                ["default.version"],
            ),
        ],
    ),
    *_cases(
        "tsx",
        TSX,
        [
            (
                "component-and-callback",
                ("track(title);", "track(title, 'h1');"),
                ("return <h1 onClick={onClick}>{title}</h1>;", "return <h2 onClick={onClick}>{title}</h2>;"),
                ["Header.onClick"],
                ["Header"],
            ),
            (
                "memo-default-export",
                ("return <footer>bye</footer>;", "return <footer>ciao</footer>;"),
                (
                    "export default React.memo(function Footer() {",
                    "export default React.memo(function Footer(props) {",
                ),
                ["Footer"],
                ["Footer"],
            ),
            (
                "same-callback",
                ("track(title);", "track(title.trim());"),
                ("}, [title]);", "}, [title, track]);"),
                ["Header.onClick"],
                ["Header.onClick"],
            ),
        ],
    ),
    *_cases(
        "java",
        JAVA,
        [
            (
                "overloads",
                ("balance += amount;", "balance += amount * 2;"),
                ("balance += (int) amount;", "balance += Math.toIntExact(amount);"),
                ["Account.deposit(int)"],
                ["Account.deposit(long)"],
            ),
            (
                "javadoc-vs-body",
                ("/** Adds money. */", "/** Adds money to the balance. */"),
                ("balance += amount;", "balance = balance + amount;"),
                ["Account.deposit(int)"],
                ["Account.deposit(int)"],
            ),
            (
                "annotation-vs-body",
                ("@Override", "@Deprecated"),
                ("balance += amount;", "this.balance += amount;"),
                ["Account.deposit(int)"],
                ["Account.deposit(int)"],
            ),
            (
                "fields",
                ("private int balance;", "private long balance;"),
                ("LIMIT = 100;", "LIMIT = 200;"),
                ["Account.balance"],
                ["Account.LIMIT"],
            ),
            (
                "constructor-vs-field",
                ("balance = 0;", "balance = 10;"),
                ("private int balance;", "private int balance = 0;"),
                ["Account.Account"],
                ["Account.balance"],
            ),
            (
                "static-initializer",
                ('System.out.println("loaded");', 'log("loaded");'),
                ("static {", "static {\n        init();"),
                ["Account.static {"],
                ["Account.static {"],
            ),
            (
                "enum-constants",
                ("CHECKING,", "CHECKING, BUSINESS,"),
                ("SAVINGS;", "SAVINGS, LOAN;"),
                ["Kind.CHECKING", "Kind.BUSINESS"],
                ["Kind.SAVINGS", "Kind.LOAN"],
            ),
            (
                "import-line",
                ("import java.util.List;", "import java.util.*;"),
                ("import java.util.List;", "import java.util.ArrayList;"),
                ["import java.util.List;"],
                ["import java.util.List;"],
            ),
        ],
    ),
    *_cases(
        "ruby",
        RUBY,
        [
            (
                "module-constant",
                ("TAX = 0.2", "TAX = 0.25"),
                ("TAX = 0.2", "TAX = 0.21"),
                ["Billing.TAX"],
                ["Billing.TAX"],
            ),
            (
                "method-comment-vs-body",
                ("# Total with tax.", "# Total including tax."),
                ("lines.sum(&:amount)", "lines.map(&:amount).sum"),
                ["Billing.Invoice.total"],
                ["Billing.Invoice.total"],
            ),
            (
                "class-macro-vs-method",
                ("has_many :lines", "has_many :lines, dependent: :destroy"),
                ("new(attrs)", "new(**attrs)"),
                ["Billing.Invoice.has_many :lines"],
                ["Billing.Invoice.build"],
            ),
            (
                "top-level-constant",
                ("VERSION = '1.0'", "VERSION = '1.1'"),
                ("require 'json'", "require 'json'\nrequire 'set'"),
                ["VERSION"],
                ["require 'set'"],
            ),
            (
                "singleton-vs-instance",
                ("new(attrs)", "allocate(attrs)"),
                ("lines.sum(&:amount)", "lines.sum(&:net)"),
                ["Billing.Invoice.build"],
                ["Billing.Invoice.total"],
            ),
        ],
    ),
    *_cases(
        "c",
        C,
        [
            (
                "define",
                ("BUFFER_SIZE 256", "BUFFER_SIZE 512"),
                ("BUFFER_SIZE 256", "BUFFER_SIZE 1024"),
                ["BUFFER_SIZE"],
                ["BUFFER_SIZE"],
            ),
            ("struct-fields", ("int x;", "long x;"), ("int y;", "long y;"), ["point.x"], ["point.y"]),
            (
                "static-table",
                ("    1,", "    1,\n    3,"),
                ("    2,", "    2,\n    4,"),
                ["table"],
                ["table"],
            ),
            (
                "function-comment-vs-body",
                ("/* Entry point. */", "/* The entry point. */"),
                ("return 0;", "return 1;"),
                ["main"],
                ["main"],
            ),
            (
                "two-functions",
                ("return a + b;", "return b + a;"),
                ('printf("%d", add(1, 2));', 'printf("%d\\n", add(1, 2));'),
                ["add"],
                ["main"],
            ),
        ],
    ),
    *_cases(
        "cpp",
        CPP,
        [
            (
                "overloads",
                ("return x * 2;", "return x << 1;"),
                ("return x * 2.0;", "return x + x;"),
                ["geo::scale(int)"],
                ["geo::scale(double)"],
            ),
            (
                "out-of-class-method",
                ("return 0.0;", "return 1.0;"),
                ("return 0.0;", "return -1.0;"),
                ["geo::Shape::area"],
                ["geo::Shape::area"],
            ),
            (
                "class-members",
                ("int sides;", "unsigned sides;"),
                ("virtual double area() const;", "virtual double area() const = 0;"),
                ["geo::Shape::sides"],
                ["geo::Shape::area"],
            ),
            (
                "class-doc-vs-member",
                ("/// A shape.", "/// A closed shape."),
                ("int sides;", "long sides;"),
                ["geo::Shape"],
                ["geo::Shape::sides"],
            ),
        ],
    ),
    *_cases(
        "kotlin",
        KOTLIN,
        [
            (
                "overloads",
                ("balance += amount\n", "balance += amount * 2\n"),
                ("balance += amount.toInt()", "balance += amount.toInt() + 1"),
                ["Account.deposit(Int)"],
                ["Account.deposit(Long)"],
            ),
            (
                "comment-vs-body",
                ("// Adds money.", "// Adds money to the balance."),
                ("balance += amount\n", "balance = balance + amount\n"),
                ["Account.deposit(Int)"],
                ["Account.deposit(Int)"],
            ),
            (
                "kdoc-and-annotation",
                ("/** An account. */", "/** A bank account. */"),
                ("@Serializable", "@Serializable(with = AccountSerializer::class)"),
                ["Account"],
                ["Account"],
            ),
            (
                "properties",
                ("var balance: Int = 0", "var balance: Long = 0"),
                ("val owner: String", "val owner: String?"),
                ["Account.balance"],
                ["Account.owner"],
            ),
            (
                "companion-vs-top-level-const",
                ("const val FEE = 2", "const val FEE = 3"),
                ("const val LIMIT = 100", "const val LIMIT = 200"),
                ["Account.Companion.FEE"],
                ["LIMIT"],
            ),
            (
                "enum-entries",
                ("    CHECKING,", "    CHECKING,\n    BUSINESS,"),
                ("    SAVINGS", "    SAVINGS,\n    LOAN"),
                ["Kind.BUSINESS"],
                ["Kind.SAVINGS", "Kind.LOAN"],
            ),
        ],
    ),
]
