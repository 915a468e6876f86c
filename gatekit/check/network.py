"""Tell a gate that failed because the network was unreachable from one that failed on the code.

A registry that cannot be reached (offline, a proxy down, DNS) says nothing about the tree: such
a failure is reported as a network error, is never cached as a verdict, and `land` refuses no
branch over it. Recognised from the messages the tools print (the tail of the gate's output).
"""

from __future__ import annotations

import re

# One pattern per tool message; each names the network, not the code.
_PATTERNS = (
    # cargo
    r"attempting to make an HTTP request, but --offline was specified",
    r"you're using offline mode \(--offline\)",
    r"failed to (download|fetch|query replaced source registry|load source for dependency)",
    r"spurious network error",
    r"Couldn't resolve host name",
    # npm, pnpm, yarn
    r"\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ECONNRESET|ENETUNREACH)\b",
    r"ERR_PNPM_META_FETCH_FAIL|ERR_PNPM_FETCH",
    r"network request to .* failed",
    # pip, uv, poetry
    r"NewConnectionError|Failed to establish a new connection|Max retries exceeded with url",
    r"Temporary failure in name resolution|Name or service not known",
    r"Failed to fetch: `http|error sending request for url",
    # go
    r"module lookup disabled by GOPROXY=off",
    r"dial tcp .*(connection refused|no such host|i/o timeout|network is unreachable)",
    r"proxy\.golang\.org.*(timeout|refused|no such host)",
    # maven, gradle
    r"Could not transfer artifact|Could not GET '|UnknownHostException|Connect to .* failed",
    # git-based dependencies
    r"Could not resolve host:|unable to access 'https?://",
    r"Network is unreachable",
)
_NETWORK = re.compile("|".join(f"(?:{p})" for p in _PATTERNS))


def network_failure(output: str) -> str | None:
    """The output line that shows a failure was the network's, or None."""
    for line in output.splitlines():
        if _NETWORK.search(line):
            return line.strip()[:300]
    return None
