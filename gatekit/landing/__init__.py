"""The pieces of `gatekit land`: integrate branches in memory, verify a tree (issue 4)."""
