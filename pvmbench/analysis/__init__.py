"""PVM analyses of trained agents: forgetting, invariance and attention (``pvmbench analyze``).

Computing lives in forgetting.py, invariance.py and attention.py (each returns a DataFrame);
figures.py draws them; cli.py writes a CSV and a PNG per analysis.
"""
