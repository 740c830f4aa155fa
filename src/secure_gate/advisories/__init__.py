"""Vulnerability advisories in OSV form: matching, severity, an offline database and its server."""
