"""Objects read one at a time: from their loose files where they are loose, else from one `git
cat-file --batch` started on the first object that is not; and the facts that never change about
an object (its type, a commit's tree, what a tag peels to) kept between hook runs.

Inside a hook run (memo.remembered) every guard shares one reader: the clobber guard's reflog,
the overlap guard's default branch and the check's verdict notes ask it, and a commit whose
objects are loose (what the last commits wrote) starts no git process for them.

Loose files and kept facts stand only where git would answer the same: not where replace refs
(`git replace`) make cat-file answer for another object.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from gatekit.errors import CommandError, ToolMissing
from gatekit.git.memo import active, lasting
from gatekit.git.runner import git_env, is_object_id
from gatekit.system.files import atomic_write, has_entries
from gatekit.system.processes import start_conversation

if TYPE_CHECKING:
    import subprocess

FACTS_FILE = "object-facts"  # in the common git dir's gatekit/ directory
FACTS_KEPT = 256  # facts a repository keeps (the newest): a reflog's commits, a few branch tips
KINDS = ("commit", "tree", "blob", "tag")


@contextmanager
def object_reader(cwd: Path | str) -> Iterator[ObjectReader]:
    """The reader to ask: inside a hook run the one every guard shares, ended with the run;
    elsewhere one of its own (cat-file alone), ended with the block."""
    shared = lasting(("objects", str(cwd)), lambda: ObjectReader(cwd, loose_dir(cwd)), ObjectReader.close)
    if shared is not None:
        yield shared
        return
    with ObjectReader(cwd) as reader:
        yield reader


class ObjectReader:
    """Objects by name, loose files first (given the common git dir), cat-file for the rest."""

    ARGV = ("git", "cat-file", "--batch")

    def __init__(self, cwd: Path | str, common_dir: Path | None = None) -> None:
        self.cwd = cwd
        self.common_dir = common_dir  # None: cat-file answers everything
        self._proc: subprocess.Popen[bytes] | None = None
        self._facts: dict[str, str] | None = None
        self._learnt = False

    def __enter__(self) -> ObjectReader:
        return self

    def read(self, name: str) -> tuple[str, str, bytes] | None:
        """(object id, type, content) of the object name names; None when it names none."""
        if self.common_dir is not None and is_object_id(name):
            loose = read_loose(self.common_dir / "objects", name)
            if loose is not None:
                return name, *loose
        return self._ask(name)

    def fact(self, oid: str) -> str | None:
        """What never changes about object oid: "commit <tree>", "tag <peeled type>", or its
        type; None when there is no such object."""
        facts = self._known_facts()
        if oid in facts:
            return facts[oid]
        found = self.read(oid)
        if found is None:
            return None
        kind, content = found[1], found[2]
        if kind == "commit" and content.startswith(b"tree "):
            fact = "commit " + content[5 : content.index(b"\n")].decode()
        elif kind == "tag":
            peeled = self.read(f"{oid}^{{}}")
            fact = f"tag {peeled[1] if peeled else '-'}"
        else:
            fact = kind
        facts[oid] = fact
        self._learnt = True
        return fact

    def _known_facts(self) -> dict[str, str]:
        if self._facts is None:
            self._facts = _load_facts(self.common_dir) if self.common_dir is not None else {}
        return self._facts

    def _ask(self, name: str) -> tuple[str, str, bytes] | None:
        proc = self._conversation()
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(name.encode() + b"\n")
            proc.stdin.flush()
        except BrokenPipeError:
            self._fail()
        header = proc.stdout.readline()
        if not header:
            self._fail()
        fields = header.split()
        if len(fields) != 3:  # "<name> missing" (or ambiguous)
            return None
        size = int(fields[2])
        content = proc.stdout.read(size + 1)[:size]
        return fields[0].decode(), fields[1].decode(), content

    def _conversation(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            try:
                self._proc = start_conversation(self.ARGV, self.cwd, git_env(cwd=self.cwd))
            except FileNotFoundError as exc:
                raise ToolMissing("git") from exc
        return self._proc

    def _fail(self) -> NoReturn:
        assert self._proc is not None
        _, err = self._proc.communicate()
        raise CommandError(self.ARGV, self._proc.returncode or 1, err or "it ended before answering")

    def __exit__(self, *exc_info: object) -> None:
        err = self.close()
        if self._proc is not None and self._proc.returncode and exc_info[0] is None and err is not None:
            raise CommandError(self.ARGV, self._proc.returncode, err)

    def close(self) -> bytes | None:
        """End the conversation (keeping what was learnt); what git said on stderr (None when
        no git process ran, or it had ended already)."""
        if self._learnt and self._facts is not None and self.common_dir is not None:
            _save_facts(self.common_dir, self._facts)
            self._learnt = False
        if self._proc is None or self._proc.returncode is not None:
            return None  # never started, or _fail reaped it
        _, err = self._proc.communicate()
        return err


def tree_entries(data: bytes, hash_bytes: int) -> list[tuple[bytes, bytes, bytes]]:
    """(mode, name, raw object id) of each entry of a raw tree object, in its order."""
    entries = []
    pos = 0
    while pos < len(data):
        space = data.index(b" ", pos)
        nul = data.index(b"\0", space)
        entries.append((data[pos:space], data[space + 1 : nul], data[nul + 1 : nul + 1 + hash_bytes]))
        pos = nul + 1 + hash_bytes
    return entries


def read_loose(objects_dir: Path, oid: str) -> tuple[str, bytes] | None:
    """(type, content) of a loose object; None when it is not loose here (or not whole)."""
    try:
        with open(objects_dir / oid[:2] / oid[2:], "rb") as file:
            raw = zlib.decompress(file.read())
    except (OSError, zlib.error):
        return None
    header, sep, content = raw.partition(b"\0")
    kind, _, size = header.decode("ascii", "replace").partition(" ")
    if not sep or kind not in KINDS or not size.isdigit() or int(size) != len(content):
        return None
    return kind, content


def loose_dir(cwd: Path | str) -> Path | None:
    """The common git dir, when loose files and kept facts say what cat-file would: inside a
    hook run (the repository's paths are known), with no replace ref anywhere."""
    if not active() or os.environ.get("GIT_REPLACE_REF_BASE") or os.environ.get("GIT_NO_REPLACE_OBJECTS"):
        return None
    from gatekit.git.location import get_repo_paths

    common = get_repo_paths(cwd).common_dir
    if has_entries(common / "refs" / "replace") is not False:
        return None
    try:
        packed = (common / "packed-refs").read_bytes()
    except FileNotFoundError:
        packed = b""
    except OSError:
        return None
    return None if b" refs/replace/" in packed or (common / "reftable").exists() else common


def _facts_path(common_dir: Path) -> Path:
    return common_dir / "gatekit" / FACTS_FILE


def _load_facts(common_dir: Path) -> dict[str, str]:
    try:
        lines = _facts_path(common_dir).read_text(encoding="ascii").splitlines()
    except (OSError, ValueError):
        return {}
    facts = {}
    for line in lines:
        oid, _, fact = line.partition(" ")
        if is_object_id(oid) and fact.split(" ", 1)[0] in KINDS:
            facts[oid] = fact
    return facts


def _save_facts(common_dir: Path, facts: dict[str, str]) -> None:
    kept = list(facts.items())[-FACTS_KEPT:]
    try:
        _facts_path(common_dir).parent.mkdir(exist_ok=True)
        # Facts never change; a lost write is learnt again: no fsync.
        atomic_write(_facts_path(common_dir), "".join(f"{oid} {fact}\n" for oid, fact in kept), durable=False)
    except OSError:
        pass
