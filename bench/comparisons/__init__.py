"""Benchmarks of the comparison estimators of jiliang.stats against statsmodels and R metafor."""
