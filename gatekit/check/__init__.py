"""Check: subjects reduced to trees, the sandbox, gates, verdicts, and the check service."""
