"""Pure statistics for supervision: sampling, draws, scores (no I/O, no clock, no global state)."""

from jiliang.stats.draw import DrawRecord, Inspector, Policy, Target, draw, replay

__all__ = ["DrawRecord", "Inspector", "Policy", "Target", "draw", "replay"]
