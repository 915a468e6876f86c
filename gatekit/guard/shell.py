"""Find every git invocation in a shell command line, with the directory it runs in.

Agents write `cd sub && git reset --hard`, `(cd x; git clean -fd) | tee log`, `sh -c 'git stash
-u'`, `FOO=1 git -c k=v checkout -- .`, `echo $(git stash)`. A regular expression over the text
misses these rewritten forms, so the line is parsed: simple lists and pipelines with shlex (fast,
exact for them), anything with command substitution, here-documents, braces or control
keywords with bashlex (a real bash grammar; ~90 ms to import, so only when needed). Without
bashlex such a line is still read with shlex, but the result is marked inexact and the guard
decides conservatively.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import re

_SHELLS = frozenset(("sh", "bash", "zsh", "dash", "ksh"))
# Commands that run their arguments as a command (after their own options).
_WRAPPERS = frozenset(("sudo", "command", "exec", "nohup", "time", "nice", "builtin", "stdbuf", "doas"))
_INPUT_MARK = "\0<"  # a `< file` redirection, carried to the command it belongs to
_INPUT_LIMIT = 1 << 20
_OPERATORS = frozenset((";", "&&", "||", "|", "&", "|&", ";;", "\n"))
_COMPLEX_MARKS = ("$(", "`", "<<", "{", "}", "<(", ">(")
_KEYWORDS = frozenset(
    (
        "if",
        "then",
        "else",
        "elif",
        "fi",
        "for",
        "while",
        "until",
        "do",
        "done",
        "case",
        "esac",
        "function",
        "select",
    )
)


@dataclass(frozen=True)
class ShellGit:
    """One `git ...` found in a command line."""

    argv: tuple[str, ...]  # the words after `git`
    cwd: str
    env: dict[str, str] = field(default_factory=dict)  # VAR=value prefixes
    stdin: bytes | None = None  # its input when the line carries it (<<EOF, <<<, < file)


@dataclass
class ParsedLine:
    calls: list[ShellGit]
    exact: bool  # False: the line could not be read with a real parser; decide conservatively
    problem: str = ""


def git_calls(command: str, cwd: str, depth: int = 0) -> ParsedLine:
    """Every git invocation in command, in order, each with the cwd it runs in."""
    if depth > 4:
        return ParsedLine([], False, "nested shells too deep")
    if _is_complex(command):
        try:
            return _with_bashlex(command, cwd, depth)
        except ImportError:
            line = _with_shlex(command, cwd, depth)
            line.exact = False
            line.problem = "bashlex is not installed (pip install 'git-gatekit[guard]')"
            return line
        except Exception as exc:  # noqa: BLE001 - bashlex raises its own ParsingError and others
            line = _with_shlex(command, cwd, depth)
            line.exact = False
            line.problem = f"the shell parser could not read the command ({type(exc).__name__})"
            return line
    return _with_shlex(command, cwd, depth)


def _is_complex(command: str) -> bool:
    if any(mark in command for mark in _COMPLEX_MARKS):
        return True
    first = command.lstrip().split(None, 1)
    return bool(first) and first[0] in _KEYWORDS


# -- shlex: lists, pipelines, subshells --------------------------------------------------------


def _with_shlex(command: str, cwd: str, depth: int) -> ParsedLine:
    lexer = shlex.shlex(command.replace("\\\n", " "), posix=True, punctuation_chars=";&|()\n")
    lexer.whitespace = " \t\r"
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        tokens = list(lexer)
    except ValueError as exc:  # an unclosed quote
        return ParsedLine([], False, f"the command line is not valid shell ({exc})")
    walker = _Walker(cwd, depth)
    words: list[str] = []
    stack: list[str] = []
    for token in _drop_redirections(tokens):
        if token in _OPERATORS or token == "\n" or set(token) <= set(";&|\n"):
            walker.simple(words)
            words = []
        elif token == "(":
            walker.simple(words)
            words = []
            stack.append(walker.cwd)
        elif token == ")":
            walker.simple(words)
            words = []
            if stack:
                walker.cwd = stack.pop()
        else:
            words.append(token)
    walker.simple(words)
    return ParsedLine(walker.calls, walker.exact, walker.problem)


def _drop_redirections(tokens: list[str]) -> list[str]:
    """`2>&1`, `> log`, `<in`: redirections are not arguments of the command."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        head = token.lstrip("0123456789")
        if head[:1] in ("<", ">") and len(token) < 12:
            bare = head.strip("<>") == ""
            if i + 1 < len(tokens) and tokens[i + 1] == "&":  # 2>&1, >&2
                i += 3
                continue
            if token in ("<", "0<") and i + 1 < len(tokens):
                out.append(_INPUT_MARK + tokens[i + 1])  # the command's input file
            i += 2 if bare else 1
            continue
        out.append(token)
        i += 1
    return out


class _Walker:
    """Applies simple commands in order: `cd` moves the cwd, `git` is recorded, shells recurse."""

    def __init__(self, cwd: str, depth: int) -> None:
        self.cwd = cwd
        self.previous = cwd  # for `cd -`
        self.depth = depth
        self.calls: list[ShellGit] = []
        self.exact = True
        self.problem = ""
        self.quoted_heredocs: set[str] = set()

    def simple(self, words: list[str], env: dict[str, str] | None = None, stdin: bytes | None = None) -> None:
        env = dict(env or {})
        for word in [w for w in words if w.startswith(_INPUT_MARK)]:
            words = [w for w in words if w != word]
            stdin = _read_input(os.path.join(self.cwd, word[len(_INPUT_MARK) :]))
        while words and _is_assignment(words[0]):
            name, _, value = words[0].partition("=")
            env[name] = value
            words = words[1:]
        if not words:
            return
        program = os.path.basename(words[0])
        if program == "cd":
            self._cd(words[1:])
        elif program == "git":
            self.calls.append(ShellGit(tuple(words[1:]), self.cwd, env, stdin))
        elif program in _SHELLS:
            self._shell(words[1:])
        elif program == "eval":
            self._nested(" ".join(words[1:]))
        elif program == "env":
            self.simple(_skip_options(words[1:], valued=("-u", "-C", "-S")), env, stdin)
        elif program in _WRAPPERS:
            self.simple(_skip_options(words[1:], valued=("-u", "-g", "-n", "-o", "-e", "-i")), env, stdin)
        elif program in ("timeout",):
            rest = _skip_options(words[1:], valued=("-s", "-k", "--signal", "--kill-after"))
            self.simple(rest[1:], env)
        elif program == "xargs" and "git" in words:
            # xargs appends words we cannot see: the paths are unknown, so everything is at risk.
            args = words[words.index("git") + 1 :]
            self.calls.append(ShellGit((*args, *([] if "--" in args else ["--"]), ":/"), self.cwd, env))

    def _cd(self, args: list[str]) -> None:
        args = [a for a in args if a not in ("-L", "-P", "--")]
        target = args[0] if args else os.environ.get("HOME", "/")
        if target.startswith("~"):
            target = os.path.expanduser(target)
        if target == "-":
            self.cwd, self.previous = self.previous, self.cwd
            return
        if "$" in target:
            self.exact = False
            self.problem = f"`cd {target}`: the directory is not known before the command runs"
            return
        self.previous, self.cwd = self.cwd, os.path.normpath(os.path.join(self.cwd, target))

    def _shell(self, args: list[str]) -> None:
        i = 0
        while i < len(args) and args[i].startswith("-"):
            if "c" in args[i].lstrip("-") and not args[i].startswith("--"):
                if i + 1 < len(args):
                    self._nested(args[i + 1])
                return
            i += 1

    def _nested(self, command: str) -> None:
        line = git_calls(command, self.cwd, self.depth + 1)
        self.calls.extend(line.calls)
        if not line.exact:
            self.exact = False
            self.problem = line.problem


def _read_input(path: str) -> bytes | None:
    """A small input file's bytes; None (unknown) when it is missing or large."""
    try:
        if os.path.getsize(path) > _INPUT_LIMIT:
            return None
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def _is_assignment(word: str) -> bool:
    name, eq, _ = word.partition("=")
    return bool(eq) and name.replace("_", "a").isalnum() and not name[:1].isdigit()


def _skip_options(words: list[str], valued: tuple[str, ...]) -> list[str]:
    i = 0
    while i < len(words) and words[i].startswith("-"):
        if words[i] == "--":
            return words[i + 1 :]
        i += 2 if words[i] in valued else 1
    return words[i:]


# -- bashlex: everything else ------------------------------------------------------------------


def _with_bashlex(command: str, cwd: str, depth: int) -> ParsedLine:
    import bashlex  # the `guard` extra

    command, quoted = _unquote_heredoc_delimiters(command)
    walker = _Walker(cwd, depth)
    walker.quoted_heredocs = quoted
    for tree in bashlex.parse(command):
        _visit(tree, walker)
    return ParsedLine(walker.calls, walker.exact, walker.problem)


def _unquote_heredoc_delimiters(command: str) -> tuple[str, set[str]]:
    """`<<'EOF'` as `<<EOF` (bashlex cannot find the end of a here-document whose delimiter is
    quoted), and which delimiters were quoted: bash expands nothing in their bodies."""
    import re

    quoted: set[str] = set()

    def plain(match: re.Match[str]) -> str:
        quoted.add(match.group(3))
        return f"<<{match.group(1)}{match.group(3)}"

    pattern = r"<<(-?)\s*(?:(['\"])(\w+)\2|\\(\w+))"
    text = re.sub(pattern, lambda m: plain(m) if m.group(3) else _backslashed(m, quoted), command)
    return text, quoted


def _backslashed(match: re.Match[str], quoted: set[str]) -> str:
    quoted.add(match.group(4))
    return f"<<{match.group(1)}{match.group(4)}"


def _visit(node: object, walker: _Walker) -> None:
    kind = getattr(node, "kind", "")
    if kind == "command":
        words: list[str] = []
        stdin: bytes | None = None
        for part in node.parts:  # type: ignore[attr-defined]
            _visit_substitutions(part, walker)
            if getattr(part, "kind", "") in ("word", "assignment"):
                words.append(part.word)
            elif getattr(part, "kind", "") == "redirect":
                stdin = _redirected_input(part, walker.cwd, stdin, walker.quoted_heredocs)
        walker.simple(words, stdin=stdin)
        return
    if kind == "compound":
        parts = node.list  # type: ignore[attr-defined]
        subshell = bool(parts) and getattr(parts[0], "word", "") == "("
        saved = walker.cwd
        for part in parts:
            _visit(part, walker)
        if subshell:
            walker.cwd = saved
        return
    for attr in ("parts", "list"):
        for child in getattr(node, attr, None) or ():
            _visit(child, walker)
    command = getattr(node, "command", None)
    if command is not None:
        _visit(command, walker)


def _redirected_input(node: object, cwd: str, current: bytes | None, quoted: set[str]) -> bytes | None:
    """The input a redirection gives the command: a here-document's body, a here-string's word
    plus a newline, a small file's bytes (bash expands neither here: quoted or plain words)."""
    kind = getattr(node, "type", "")
    target = getattr(node, "output", None)
    word = getattr(target, "word", None)
    if kind in ("<<", "<<-"):
        body = getattr(getattr(node, "heredoc", None), "value", "")
        lines = body.split("\n")
        if lines and lines[-1].strip() == (word or ""):
            lines = lines[:-1]  # bashlex keeps the delimiter line
        if word not in quoted and any(mark in body for mark in ("$", "`", "\\")):
            return None  # bash expands this body: its bytes are known only when it runs
        return ("\n".join(lines) + "\n").encode()
    if kind == "<<<" and isinstance(word, str):
        return (word + "\n").encode()
    if kind == "<" and isinstance(word, str):
        return _read_input(os.path.join(cwd, word))
    return current


def _visit_substitutions(node: object, walker: _Walker) -> None:
    """Command substitutions run too: `echo $(git stash)` stashes."""
    command = getattr(node, "command", None)
    if command is not None and getattr(node, "kind", "") in ("commandsubstitution", "processsubstitution"):
        saved = walker.cwd
        _visit(command, walker)
        walker.cwd = saved
    for child in getattr(node, "parts", None) or ():
        _visit_substitutions(child, walker)
