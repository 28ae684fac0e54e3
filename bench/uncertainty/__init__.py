"""Benchmarks of jiliang.uncertainty against GTC, uncertainties, metrolopy and suncal."""
