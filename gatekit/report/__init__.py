"""Reports of a check: streaming (text, GitHub, JSON on stdout) and files (JUnit, Code Quality)."""
