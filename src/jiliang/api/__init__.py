"""HTTP API: one module per capability, each with a ``router``; mounted under ``/api``."""
