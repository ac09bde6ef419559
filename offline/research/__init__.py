"""offline.research."""
