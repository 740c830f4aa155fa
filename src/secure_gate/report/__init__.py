"""Renderers: pure functions from a Report to text, one per output format."""
