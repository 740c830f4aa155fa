"""secure-gate: one security gate for Python repositories."""

__version__ = "0.1.0"
