"""Shared loader for the reference values of tests/reference/data/uncertainty.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

DATA = Path(__file__).parent / "data" / "uncertainty.json"


def reference() -> dict[str, Any]:
    return json.loads(DATA.read_text(encoding="utf-8"))


def quantile_se(samples: np.ndarray, prob: float) -> float:
    """Distribution-free standard error of the ``prob`` quantile of ``samples``.

    Half the distance between the order statistics M·prob ± √(M·prob(1−prob)), which bracket the
    quantile with probability ≈ 68 % (binomial argument).
    """
    s = np.sort(samples)
    m = s.size
    a = np.sqrt(m * prob * (1 - prob))
    lo = int(max(np.floor(m * prob - a), 0))
    hi = int(min(np.ceil(m * prob + a), m - 1))
    return float((s[hi] - s[lo]) / 2)


def mean_sd_se(samples: np.ndarray) -> tuple[float, float]:
    """Standard errors of the sample mean and of the sample standard deviation."""
    m = samples.size
    sd = samples.std(ddof=1)
    m4 = np.mean((samples - samples.mean()) ** 4)
    return float(sd / np.sqrt(m)), float(np.sqrt(max(m4 - sd**4, 0.0) / m) / (2 * sd))
