"""Interlaboratory comparisons, proficiency tests and calibration intervals around :mod:`jiliang.stats`.

Files in and out (CSV results, histories and drift data; JSON documents) live here so that the
CLI, the API and the console read and write them the same way.
"""

from jiliang.comparisons.files import (
    MAX_CSV_BYTES,
    CalibrationHistory,
    a3_json,
    evaluation_json,
    parse_drift,
    parse_history,
    parse_results,
    s2_json,
    scores_json,
    variables_json,
)

__all__ = [
    "MAX_CSV_BYTES",
    "CalibrationHistory",
    "a3_json",
    "evaluation_json",
    "parse_drift",
    "parse_history",
    "parse_results",
    "s2_json",
    "scores_json",
    "variables_json",
]
