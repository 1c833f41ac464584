"""Textual widgets that render snapshots. They never read files."""
