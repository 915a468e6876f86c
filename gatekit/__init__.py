"""gatekit: keep main buildable and keep parallel writers from destroying each other's work."""

__version__ = "0.1.0"
