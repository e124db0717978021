"""LiveOps use cases: segments and their recompute, experiments and assignment, personalized recommendations.

Layout: one module per feature (`segments.py`, `recommendations.py`, `experiments.py`, ...), each with its ports in
`<feature>_ports.py`; `ports.py` composes the unit of work from them and `deps.py` holds what every use case gets.
Allowed directions (pyproject's import-linter contract): identity, shop, engagement and games through their use
cases, and analytics' OLAP port (experiment results and KPIs are computed by the OLAP store)."""
