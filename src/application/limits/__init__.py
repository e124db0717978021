"""Responsible gaming: limits a player sets on themselves, time-outs and self-exclusion."""
