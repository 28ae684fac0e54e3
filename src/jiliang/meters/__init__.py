"""Smart-meter supervision: remote error estimation of electricity meters per transformer area.

The pure core (:mod:`~jiliang.meters.core`, :mod:`~jiliang.meters.decision`,
:mod:`~jiliang.meters.tracking`, :mod:`~jiliang.meters.synth`) needs only NumPy; the engines
(:mod:`~jiliang.meters.engine` with Polars/PyArrow, :mod:`~jiliang.meters.spark` with PySpark) and
storage (:mod:`~jiliang.meters.models`) are imported from their modules.
"""

from jiliang.meters.core import AreaDesign, AreaEstimate, AreaReadings, estimate_area, infer_interval
from jiliang.meters.decision import GuardBandRule, Verdict, decide
from jiliang.meters.evaluate import Evaluation, evaluate
from jiliang.meters.synth import SynthArea, SynthConfig, synth_areas
from jiliang.meters.tracking import Track, first_crossing, track
from jiliang.meters.types import (
    DEFAULT_LIMITS_PCT,
    AreaSummary,
    EstimationSettings,
    MeterError,
    MeterResult,
    MeterSpec,
    Role,
    Status,
)
from jiliang.meters.worklist import WORKLIST_COLUMNS, worklist

__all__ = [
    "DEFAULT_LIMITS_PCT",
    "WORKLIST_COLUMNS",
    "AreaDesign",
    "AreaEstimate",
    "AreaReadings",
    "AreaSummary",
    "EstimationSettings",
    "Evaluation",
    "GuardBandRule",
    "MeterError",
    "MeterResult",
    "MeterSpec",
    "Role",
    "Status",
    "SynthArea",
    "SynthConfig",
    "Track",
    "Verdict",
    "decide",
    "estimate_area",
    "evaluate",
    "first_crossing",
    "infer_interval",
    "synth_areas",
    "track",
    "worklist",
]
