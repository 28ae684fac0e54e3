"""Command line: ``jiliang <capability> <verb>``; one module per capability, each with ``app``."""
