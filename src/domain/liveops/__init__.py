"""LiveOps rules (stdlib only): segments (RFM scoring, the rule grammar), experiments (assignment, statistics) and
recommendations. One module per feature (`segments.py`, `rules.py`, `rfm.py`, `experiments.py`, `stats.py`, ...),
so the features grow side by side without touching each other's files."""
