"""Jiliang (计量): an open platform for a city's modern measurement system.

Importing this package has no side effects: the pure core (``jiliang.uncertainty``,
``jiliang.units``, ``jiliang.stats``) loads only what it uses, and the service stack is
assembled by :func:`jiliang.app.create_app` when a caller asks for it.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
