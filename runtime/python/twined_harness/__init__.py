"""Runs one Twined question's Python app and talks to the TypeScript runner over two pipes (see PROTOCOL.md)."""

__version__ = "0.1.0"
