"""The fix tests' fixtures: the loopback GitHub API and its token, as the GitHub tests have them."""

from tests.github.conftest import api, token

__all__ = ["api", "token"]
