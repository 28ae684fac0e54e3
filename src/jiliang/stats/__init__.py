"""Statistics for supervision: comparison reference values, degrees of equivalence, PT scores.

Pure: no I/O, no clock, no global random state (generators are passed in).
"""

from jiliang.stats.equivalence import (
    ESTIMATORS,
    BilateralDoE,
    ComparisonEvaluation,
    UnilateralDoE,
    bilateral_does,
    evaluate_comparison,
    reference_value,
    unilateral_does,
)
from jiliang.stats.model_choice import ModelChoice, TestResult, choose_model, symmetry_test
from jiliang.stats.pt_scores import (
    HomogeneityCheck,
    PTScore,
    StabilityCheck,
    en_class,
    homogeneity_check,
    pt_scores,
    stability_check,
    z_class,
)
from jiliang.stats.random_effects import (
    dersimonian_laird,
    hierarchical_gauss,
    linear_pool,
    paule_mandel,
    reml,
    tau2_dersimonian_laird,
    tau2_paule_mandel,
    tau2_reml,
)
from jiliang.stats.reference_value import (
    COVERAGE_K,
    CochranQ,
    ComparisonError,
    LabResults,
    ReferenceValue,
    algorithm_a,
    arithmetic_mean,
    cochran_q,
    largest_consistent_subset,
    median_value,
    weighted_mean,
)

__all__ = [
    # comparisons and proficiency testing
    "COVERAGE_K",
    "ESTIMATORS",
    "BilateralDoE",
    "CochranQ",
    "ComparisonError",
    "ComparisonEvaluation",
    "HomogeneityCheck",
    "LabResults",
    "ModelChoice",
    "PTScore",
    "ReferenceValue",
    "StabilityCheck",
    "TestResult",
    "UnilateralDoE",
    "algorithm_a",
    "arithmetic_mean",
    "bilateral_does",
    "choose_model",
    "cochran_q",
    "dersimonian_laird",
    "en_class",
    "evaluate_comparison",
    "hierarchical_gauss",
    "homogeneity_check",
    "largest_consistent_subset",
    "linear_pool",
    "median_value",
    "paule_mandel",
    "pt_scores",
    "reference_value",
    "reml",
    "stability_check",
    "symmetry_test",
    "tau2_dersimonian_laird",
    "tau2_paule_mandel",
    "tau2_reml",
    "unilateral_does",
    "weighted_mean",
    "z_class",
]
