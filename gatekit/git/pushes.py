"""git's pre-push hook input: one `<local ref> <local oid> <remote ref> <remote oid>` line per update."""

from __future__ import annotations

from dataclasses import dataclass

from gatekit.errors import UsageError

_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class PushUpdate:
    """One ref update a push is about to make."""

    local_ref: str
    local_sha: str
    remote_ref: str
    remote_sha: str

    @property
    def deletion(self) -> bool:
        return set(self.local_sha) == {"0"}

    @property
    def branch(self) -> str | None:
        if self.remote_ref.startswith("refs/heads/"):
            return self.remote_ref[len("refs/heads/") :]
        return None


def _is_oid(value: str) -> bool:
    return len(value) in (40, 64) and set(value) <= _HEX


def parse_pre_push(text: str) -> list[PushUpdate]:
    """Parse git's pre-push stdin; a malformed line is a UsageError naming it."""
    updates = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        # The local ref is what the user typed when it is not a ref name (`git push origin
        # 'HEAD@{1 minute ago}:topic'`), spaces included; the last three fields are fixed, so
        # split from the right.
        parts = line.rsplit(" ", 3)
        if len(parts) != 4 or not _is_oid(parts[1]) or not _is_oid(parts[3]):
            raise UsageError(
                f"pre-push input line {number} is not `<local ref> <local sha> <remote ref> <remote sha>`: {line!r}"
            )
        updates.append(PushUpdate(*parts))
    return updates
