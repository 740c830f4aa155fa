"""The network clients of ``secure-gate fix`` (the only command that uses the network)."""
