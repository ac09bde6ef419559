"""offline.broker."""
