"""secure-gate: one security gate for Python repositories."""

# The one place the version lives: pyproject.toml reads it (setuptools `attr:`), `--version`,
# the JSON report and the User-Agent use it, and scripts/release writes it (with the
# Dockerfile's image label, which tests/test_release.py keeps equal). PEP 440: X.Y.Z for a
# release, X.Y.Z.devN between releases.
__version__ = "0.2.1.dev0"
