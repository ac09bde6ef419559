"""offline.report."""
