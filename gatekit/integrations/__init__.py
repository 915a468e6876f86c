"""Integrations: git hook runner and installer, init, the CI entry, pre-commit hazards."""
