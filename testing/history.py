"""A small project history with known in-flight branches, for checking overlap against truth.

The project is a lint tool in the shape of the ones the field reports replayed (clippy's
`static LINTS`, a config struct with trait impls, a Python settings module with a defaults dict,
a JS route table, a Go server with two `init`s). `build_history` writes its main history and
branches commit by commit; `SHARED_DEFINITIONS` is what a maintainer says the branches share.

Run as a script to look at it: `python -m testing.history DIR`.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from testing.env import hermetic_env
from testing.landing import branch_with
from testing.repo import Repo, init_repo

LINTS_RS = """//! The lints this crate registers.

use crate::lint::{Lint, LintPass};

/// Every lint, in the order `--explain` lists them.
pub static LINTS: &[&Lint] = &[
    &UNUSED_SELF,
    &NEEDLESS_RETURN,
    &SHADOW_REUSE,
];

/// Warns on methods that never read `self`.
pub fn check_unused_self(cx: &Context, item: &Item) {
    if item.reads_self() {
        return;
    }
    cx.emit(&UNUSED_SELF, item.span());
}

/// Warns on a `return` as the last statement.
pub fn check_needless_return(cx: &Context, block: &Block) {
    if let Some(last) = block.last() {
        if last.is_return() {
            cx.emit(&NEEDLESS_RETURN, last.span());
        }
    }
}
"""

CONFIG_RS = """use std::fmt;

/// Settings read from `lint.toml`.
#[derive(Clone, PartialEq)]
pub struct Config {
    /// How deep macro expansions are followed.
    pub depth: usize,
    pub verbose: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config { depth: 4, verbose: false }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "Config {{ depth: {} }}", self.depth)
    }
}

impl fmt::Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "depth {}", self.depth)
    }
}
"""

SETTINGS_PY = '''"""Runtime settings for the lint server."""

import json
import os

DEFAULTS = {
    "timeout": 30,
    "retries": 3,
    "cache_dir": ".lint-cache",
}


class Settings:
    """Settings merged from defaults, the file and the environment."""

    def __init__(self, values):
        self.values = values

    @classmethod
    def load(cls, path):
        values = dict(DEFAULTS)
        with open(path) as handle:
            values.update(json.load(handle))
        values["timeout"] = int(os.environ.get("LINT_TIMEOUT", values["timeout"]))
        return cls(values)

    def get(self, key):
        return self.values[key]
'''

ROUTES_JS = """const api = require('./api');

/** Handlers of the lint server, by route. */
const routes = {
  home(req) {
    return api.render('home', req);
  },
  about(req) {
    return api.render('about', req);
  },
};

exports.handle = function (req) {
  return routes[req.route](req);
};
"""

SERVER_GO = """package server

import "log"

var handlers = map[string]int{}

func init() {
	handlers["lint"] = 1
}

func init() {
	log.Println("server ready")
}

// Serve answers one request.
func Serve(route string) int {
	return handlers[route]
}
"""

MAIN_HISTORY: list[tuple[str, Mapping[str, str]]] = [
    ("lint: register unused_self and needless_return", {"src/lints.rs": LINTS_RS}),
    ("config: depth and verbosity with their Default", {"src/config.rs": CONFIG_RS}),
    ("server: settings with defaults and env override", {"app/settings.py": SETTINGS_PY}),
    ("web: route table for home and about", {"web/routes.js": ROUTES_JS}),
    ("server: go entry point with its handler table", {"server/server.go": SERVER_GO}),
]


def _edit(text: str, *pairs: tuple[str, str]) -> str:
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


# branch -> (commit message, {path: new content})
BRANCHES: dict[str, tuple[str, dict[str, str]]] = {
    "lint/redundant-clone": (
        "lint: add redundant_clone",
        {
            "src/lints.rs": _edit(
                LINTS_RS, ("    &SHADOW_REUSE,\n", "    &SHADOW_REUSE,\n    &REDUNDANT_CLONE,\n")
            )
        },
    ),
    "lint/manual-map": (
        "lint: add manual_map next to needless_return",
        {
            "src/lints.rs": _edit(
                LINTS_RS, ("    &NEEDLESS_RETURN,\n", "    &NEEDLESS_RETURN,\n    &MANUAL_MAP,\n")
            )
        },
    ),
    "lint/needless-return-in-closures": (
        "needless_return: look into closures too",
        {
            "src/lints.rs": _edit(
                LINTS_RS, ("if last.is_return() {", "if last.is_return() || last.is_closure_return() {")
            )
        },
    ),
    "config/deeper-default": (
        "config: follow macro expansions 8 deep by default",
        {
            "src/config.rs": _edit(
                CONFIG_RS, ("Config { depth: 4, verbose: false }", "Config { depth: 8, verbose: false }")
            )
        },
    ),
    "config/display-verbose": (
        "config: show verbosity in Display",
        {
            "src/config.rs": _edit(
                CONFIG_RS,
                (
                    'write!(f, "depth {}", self.depth)',
                    'write!(f, "depth {} verbose {}", self.depth, self.verbose)',
                ),
            )
        },
    ),
    "config/debug-verbose": (
        "config: show verbosity in Debug",
        {
            "src/config.rs": _edit(
                CONFIG_RS,
                (
                    '"Config {{ depth: {} }}", self.depth',
                    '"Config {{ depth: {}, verbose: {} }}", self.depth, self.verbose',
                ),
            )
        },
    ),
    "config/depth-docs": (
        "config: say what depth counts",
        {
            "src/config.rs": _edit(
                CONFIG_RS,
                (
                    "/// How deep macro expansions are followed.",
                    "/// How many levels of macro expansion are followed.",
                ),
            )
        },
    ),
    "config/depth-u32": (
        "config: depth fits in a u32",
        {"src/config.rs": _edit(CONFIG_RS, ("pub depth: usize,", "pub depth: u32,"))},
    ),
    "settings/longer-timeout": (
        "settings: 60 s default timeout, read as float",
        {
            "app/settings.py": _edit(
                SETTINGS_PY,
                ('"timeout": 30,', '"timeout": 60,'),
                ('values["timeout"] = int(', 'values["timeout"] = float('),
            )
        },
    ),
    "settings/more-retries": (
        "settings: retry five times",
        {"app/settings.py": _edit(SETTINGS_PY, ('"retries": 3,', '"retries": 5,'))},
    ),
    "settings/utf8-file": (
        "settings: read the file as UTF-8",
        {
            "app/settings.py": _edit(
                SETTINGS_PY, ("with open(path) as handle:", "with open(path, encoding='utf-8') as handle:")
            )
        },
    ),
    "web/home-cache": (
        "web: cache the home page",
        {
            "web/routes.js": _edit(
                ROUTES_JS, ("return api.render('home', req);", "return api.cached('home', req);")
            )
        },
    ),
    "web/about-team": (
        "web: about lists the team",
        {
            "web/routes.js": _edit(
                ROUTES_JS,
                ("return api.render('about', req);", "return api.render('about', req, { team: true });"),
            )
        },
    ),
    "server/lint-handler": (
        "server: lint handler is 2",
        {"server/server.go": _edit(SERVER_GO, ('handlers["lint"] = 1', 'handlers["lint"] = 2'))},
    ),
    "server/ready-message": (
        "server: say where it listens",
        {
            "server/server.go": _edit(
                SERVER_GO, ('log.Println("server ready")', 'log.Println("server ready on :8080")')
            )
        },
    ),
}

# Copies of a branch's work that must count once: a backup branch at the same commit.
BACKUPS = {"lint/redundant-clone-backup": "lint/redundant-clone"}

# What a maintainer says the in-flight branches share: (path, definition) -> branches.
SHARED_DEFINITIONS: dict[tuple[str, str], frozenset[str]] = {
    ("src/lints.rs", "LINTS"): frozenset({"lint/redundant-clone", "lint/manual-map"}),
    ("src/config.rs", "Config.depth"): frozenset({"config/depth-docs", "config/depth-u32"}),
    ("app/settings.py", "DEFAULTS"): frozenset({"settings/longer-timeout", "settings/more-retries"}),
    ("app/settings.py", "Settings.load"): frozenset({"settings/longer-timeout", "settings/utf8-file"}),
}


def build_history(path: Path, env: dict[str, str]) -> Repo:
    """The project's main history, its in-flight branches and a backup branch, in path."""
    repo = init_repo(path, env)
    for message, files in MAIN_HISTORY:
        repo.commit(message, dict(files))
    for name, (message, files) in BRANCHES.items():
        branch_with(repo, name, files, message=message)
    for backup, original in BACKUPS.items():
        repo.git("branch", backup, original)
    return repo


if __name__ == "__main__":
    target = Path(sys.argv[1]).resolve()
    built = build_history(target / "project", hermetic_env(target / "home"))
    print(built.path)
