"""PVM analyses of trained agents: forgetting, invariance and attention (``pvmbench analyze``).

Every number comes with its 95% CI and the floor, chance level or null it must beat.
Computing lives in forgetting.py, invariance.py and attention.py (each returns DataFrames), on the
metrics in cka.py, knn.py, retrieval.py, overlap.py and occlusion.py, with intervals from stats.py;
figures.py and attention_figures.py draw them; cli.py writes the CSVs and PNGs.
"""
