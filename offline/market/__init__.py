"""offline.market."""
