"""offline.commands."""
