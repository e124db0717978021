"""Engagement rules: daily streaks (and, later, missions, achievements, battle pass)."""
