"""Interlaboratory comparisons, proficiency tests and calibration intervals around :mod:`jiliang.stats`.

Files in and out (CSV results, histories and drift data; JSON documents) live here so that the
CLI, the API and the console read and write them the same way.
Rounds (:mod:`jiliang.comparisons.service`): a pilot lab creates a round, participants submit
results hidden from each other until it closes, the pilot chooses the estimator and publishes.
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
from jiliang.comparisons.models import ComparisonParticipant, ComparisonRound, ComparisonSubmission
from jiliang.comparisons.plot import doe_svg
from jiliang.comparisons.service import (
    LAB_KINDS,
    TRANSITIONS,
    RoundView,
    close_round,
    create_round,
    evaluate_round,
    get_round,
    lab_results,
    list_labs,
    list_rounds,
    publish_round,
    round_view,
    submit_result,
)

__all__ = [
    "LAB_KINDS",
    "MAX_CSV_BYTES",
    "TRANSITIONS",
    "CalibrationHistory",
    "ComparisonParticipant",
    "ComparisonRound",
    "ComparisonSubmission",
    "RoundView",
    "a3_json",
    "close_round",
    "create_round",
    "doe_svg",
    "evaluate_round",
    "evaluation_json",
    "get_round",
    "lab_results",
    "list_labs",
    "list_rounds",
    "parse_drift",
    "parse_history",
    "parse_results",
    "publish_round",
    "round_view",
    "s2_json",
    "scores_json",
    "submit_result",
    "variables_json",
]
