"""What a git command can discard, read from its arguments alone (no git call).

A Risk names the kinds of uncommitted work the command would remove from the worktree, limited
to its pathspecs, or the refs whose commits it would make unreachable. Which paths that is
*now* is the decision engine's question (guard/decide.py), answered with one `git status`.

Kinds of work (from `git status --porcelain=v2`):
    unstaged   the worktree differs from the index
    staged     the index differs from HEAD
    partial    staged and then edited again: the staged version exists only in the index
    untracked  not in the index, not ignored
    ignored    matched by .gitignore
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from gatekit.guard.gitargv import GitCommand

ALL_TRACKED = frozenset(("unstaged", "staged"))


@dataclass(frozen=True)
class Risk:
    op: str  # how the journal and messages name it: "reset --hard", "stash push", ...
    kinds: frozenset[str] = frozenset()
    pathspecs: tuple[str, ...] = ()  # () = the whole worktree
    clean_flags: tuple[str, ...] | None = None  # `git clean`: ask git itself with -n
    refs: tuple[str, ...] = ()  # refs whose commits the command drops (kept before it runs)
    stash_refs: bool = False  # `stash drop/clear`: entries to keep
    worktree: str | None = None  # `worktree remove --force`: the worktree whose files go
    maybe_branch: str | None = None  # `checkout X` with no `--`: a branch switch if X is a commit
    forced_switch: bool = False  # with maybe_branch: `checkout -f`, so a switch discards too
    notes: tuple[str, ...] = field(default=())
    in_progress: str | None = None  # "rebase": discards only while git is stopped in one


def classify(cmd: GitCommand, stdin: bytes | None = None) -> Risk | None:
    """The risk of one git command, or None when it cannot discard anything. stdin: the input
    the command will read, when known (`update-ref --stdin`); None when it is not."""
    sub = cmd.subcommand
    if sub == "update-ref" and "--stdin" in cmd.args:
        return _update_ref_stdin(stdin)
    handler = _HANDLERS.get(sub or "")
    return handler(cmd.args) if handler else None


def _split(args: Sequence[str]) -> tuple[list[str], list[str], list[str]]:
    """(options, positionals before `--`, words after `--`)."""
    options: list[str] = []
    positionals: list[str] = []
    after: list[str] = []
    for i, arg in enumerate(args):
        if arg == "--":
            after = list(args[i + 1 :])
            break
        (options if arg.startswith("-") and arg != "-" else positionals).append(arg)
    return options, positionals, after


def _has(options: Sequence[str], *names: str, short: str = "") -> bool:
    """A long option (or --opt=value) or a short letter, also inside clusters like -fdx."""
    for opt in options:
        if opt.split("=", 1)[0] in names:
            return True
        if short and opt.startswith("-") and not opt.startswith("--") and any(c in opt[1:] for c in short):
            return True
    return False


def _reset(args: Sequence[str]) -> Risk | None:
    options, positionals, after = _split(args)
    if "--hard" in options:
        return Risk("reset --hard", ALL_TRACKED)
    if "--merge" in options:
        return Risk("reset --merge", frozenset(("staged",)))
    if "--keep" in options or "--soft" in options or _has(options, "--patch", short="p"):
        return None  # --keep and --soft never touch the worktree; -p asks for each hunk
    # A mixed reset keeps every worktree byte; only a partly staged file's staged version goes.
    paths = tuple(after or positionals[1:])
    return Risk("reset", frozenset(("partial",)), paths)


def _checkout(args: Sequence[str]) -> Risk | None:
    options, positionals, after = _split(args)
    if _has(options, "--patch", short="p"):
        return None
    if _has(options, "-b", "-B", "--orphan", "--detach"):
        forced = _has(options, "--force", short="f")
        return Risk("checkout -f", ALL_TRACKED) if forced else None
    forced = _has(options, "--force", short="f")
    if after or "--" in args:
        kinds = ALL_TRACKED if positionals else frozenset(("unstaged",))
        return Risk("checkout -- <paths>", kinds, tuple(after) or (".",))
    if _has(options, "--ours", "--theirs", "--pathspec-from-file"):
        return Risk("checkout <paths>", frozenset(("unstaged",)), tuple(positionals) or (".",))
    if not positionals or positionals == ["-"]:  # `checkout -`: back to the previous branch
        return Risk("checkout -f", ALL_TRACKED) if forced else None
    if len(positionals) == 1:
        # `checkout X`: a branch switch when X names a commit (git carries local changes over, or
        # refuses), else `checkout -- X`. Which one is a question for the repository.
        return Risk(
            "checkout",
            frozenset(("unstaged",)),
            (positionals[0],),
            maybe_branch=positionals[0],
            forced_switch=forced,
        )
    return Risk("checkout <tree-ish> <paths>", ALL_TRACKED, tuple(positionals[1:]))


def _restore(args: Sequence[str]) -> Risk | None:
    options, positionals, after = _split(args)
    if _has(options, "--patch", short="p"):
        return None
    staged = _has(options, "--staged", short="S")
    worktree = _has(options, "--worktree", short="W") or not staged
    source = _has(options, "--source", short="s")
    paths = tuple(after or [p for p in positionals if not _is_option_value(args, p)]) or (".",)
    if worktree:
        kinds = ALL_TRACKED if (staged or source) else frozenset(("unstaged",))
        return Risk("restore", kinds, paths)
    return Risk("restore --staged", frozenset(("partial",)), paths)


def _is_option_value(args: Sequence[str], word: str) -> bool:
    """`restore -s HEAD~1 file`: HEAD~1 belongs to -s, it is not a path."""
    return any(arg in ("-s", "--source") and args[i + 1] == word for i, arg in enumerate(args[:-1]))


def _switch(args: Sequence[str]) -> Risk | None:
    options, _, _ = _split(args)
    if _has(options, "--force", "--discard-changes", short="f"):
        return Risk("switch --discard-changes", ALL_TRACKED)
    return None  # git carries local changes to the new branch, or refuses


_STASH_SAFE = frozenset(("list", "show", "branch", "create", "store", "pop", "apply"))


def _stash(args: Sequence[str]) -> Risk | None:
    sub = args[0] if args and not args[0].startswith("-") else "push"
    rest = list(args[1:]) if args and not args[0].startswith("-") else list(args)
    if sub in _STASH_SAFE:
        # pop/apply onto dirty paths: git refuses to overwrite a local change, so nothing is lost.
        return None
    if sub in ("drop", "clear"):
        return Risk(f"stash {sub}", stash_refs=True)
    if sub not in ("push", "save"):
        return None
    options, positionals, after = _split(rest)
    kinds = {"unstaged"} if _has(options, "--keep-index", short="k") else {"unstaged", "staged"}
    if _has(options, "--include-untracked", short="u"):
        kinds.add("untracked")
    if _has(options, "--all", short="a"):
        kinds |= {"untracked", "ignored"}
    # `stash save` takes a message, not paths; `stash push` takes pathspecs.
    paths = tuple(after or (positionals if sub == "push" else ()))
    if _has(options, "--message", short="m") and sub == "push" and not after:
        paths = tuple(p for p in positionals if not _follows(rest, p, ("-m", "--message")))
    return Risk(f"stash {sub}", frozenset(kinds), paths)


def _follows(args: Sequence[str], word: str, options: tuple[str, ...]) -> bool:
    return any(args[i] in options and args[i + 1] == word for i in range(len(args) - 1))


def _clean(args: Sequence[str]) -> Risk | None:
    options, positionals, after = _split(args)
    if _has(options, "--dry-run", short="n") or not _has(options, "--force", short="f"):
        return None  # without -f git refuses (clean.requireForce, true unless configured off)
    flags = tuple(o for o in options if not _is_force_only(o))
    return Risk("clean", pathspecs=tuple(after or positionals), clean_flags=flags)


def _is_force_only(option: str) -> bool:
    return option == "--force" or (
        option.startswith("-") and not option.startswith("--") and set(option[1:]) <= {"f"}
    )


def _autostash(name: str) -> Callable[[Sequence[str]], Risk | None]:
    def handler(args: Sequence[str]) -> Risk | None:
        options, _, _ = _split(args)
        if "--autostash" in options and "--no-autostash" not in options:
            return Risk(f"{name} --autostash", ALL_TRACKED)
        return None

    return handler


def _worktree(args: Sequence[str]) -> Risk | None:
    if not args or args[0] != "remove":
        return None
    options, positionals, _ = _split(args[1:])
    if not _has(options, "--force", short="f") or not positionals:
        return None  # git refuses to remove a worktree with changes unless forced
    return Risk("worktree remove --force", worktree=positionals[0])


def _branch(args: Sequence[str]) -> Risk | None:
    options, positionals, _ = _split(args)
    if _has(options, "--delete") and _has(options, "--force", short="f") or _has(options, short="D"):
        return Risk("branch -D", refs=tuple(f"refs/heads/{b}" for b in positionals))
    if _has(options, "--force", short="fMC") and positionals:
        # `branch -f X start` moves X; `-M/-C old new` overwrites new.
        target = positionals[0] if not _has(options, short="MC") else positionals[-1]
        return Risk("branch -f", refs=(f"refs/heads/{target}",))
    return None


def _update_ref(args: Sequence[str]) -> Risk | None:
    options, positionals, _ = _split(args)
    if "--stdin" in options or not positionals:
        return None
    ref = positionals[0]
    if ref.startswith("refs/gatekit/"):
        return None
    return Risk("update-ref -d" if "-d" in options else "update-ref", refs=(ref,))


# `update-ref --stdin` with an input nobody can read before it runs (a pipe into an agent's shell
# command): it may move or delete any branch, so every local branch's commit is kept first.
EVERY_BRANCH = "refs/heads/"


def _update_ref_stdin(stdin: bytes | None) -> Risk | None:
    if stdin is None:
        return Risk("update-ref --stdin", refs=(EVERY_BRANCH,), notes=("input unknown",))
    refs = tuple(ref for ref in refs_moved(stdin) if not ref.startswith("refs/gatekit/"))
    return Risk("update-ref --stdin", refs=refs) if refs else None


def refs_moved(data: bytes) -> list[str]:
    """The refs an `update-ref --stdin [-z]` input updates or deletes (`create` and `verify`
    drop nothing; `start`, `prepare`, `commit`, `abort` and `option` name no ref). Both formats:
    `update SP ref SP new [SP old] LF` and `update SP ref NUL new NUL old NUL`."""
    found: list[str] = []
    for item in data.replace(b"\0", b"\n").split(b"\n"):
        command, _, rest = item.decode("utf-8", "surrogateescape").partition(" ")
        if command in ("update", "delete", "symref-update", "symref-delete") and rest.strip():
            ref = rest.split()[0]
            if ref not in found:
                found.append(ref)
    return found


def _rebase(args: Sequence[str]) -> Risk | None:
    if "--skip" in args:
        # The stopped commit's changes, resolved or not, are reset away: staged and unstaged
        # edits of tracked files (untracked files stay). Only while a rebase is stopped.
        return Risk("rebase --skip", ALL_TRACKED, in_progress="rebase")
    return _autostash("rebase")(args)


_HANDLERS: dict[str, Callable[[Sequence[str]], Risk | None]] = {
    "reset": _reset,
    "checkout": _checkout,
    "restore": _restore,
    "switch": _switch,
    "stash": _stash,
    "clean": _clean,
    "rebase": _rebase,
    "pull": _autostash("pull"),
    "worktree": _worktree,
    "branch": _branch,
    "update-ref": _update_ref,
}
