"""offline.replay."""
