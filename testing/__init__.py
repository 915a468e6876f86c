"""Shared test helpers: a hermetic git environment, repository builders, state fingerprints."""
