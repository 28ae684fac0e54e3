"""CCQM-K30, lead in wine, as shipped in the metRology R package (dataset ``Pb``, man/Pb.Rd).

Source of the data: metRology's ``data/Pb.rda`` (cran/metRology on GitHub), decoded from R's XDR
serialisation into ``data/ccqm_k30_pb.csv`` (lab, value, U, k, method, include; u = U/k as in the
help page). Source of the reference value: metRology ``man/Pb.Rd`` §details, "The Key Comparison
Reference Value … was set at 2.99 mg/kg with expanded uncertainty 0.06 mg/kg", citing Hearn,
Santamaria-Fernandez and Sargent (2008), *Metrologia* 45 Tech. Suppl. 08001.

Conventions differ: the KCRV 2.99 is reproduced exactly by the arithmetic mean of the 9 included
(IDMS) results; its printed U = 0.06 is not 2s/√n (= 0.048): the report's uncertainty budget is not
in the help page, so only the value is checked.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from jiliang.stats import LabResults, evaluate_comparison, largest_consistent_subset, median_value

DATA = Path(__file__).parent / "data" / "ccqm_k30_pb.csv"
#: The KCRV is printed to 0.01 mg/kg: half a unit of the last printed digit.
KCRV_PRINTED_TOL = 0.005
#: Arithmetic of 9 three-decimal numbers: float round-off only.
EXACT = 1e-12


def _pb() -> LabResults:
    with DATA.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return LabResults.of(
        [r["lab"] for r in rows],
        [float(r["value"]) for r in rows],
        [float(r["U"]) / float(r["k"]) for r in rows],
        included=[r["included"] == "true" for r in rows],
    )


def test_kcrv_is_the_mean_of_the_included_labs():
    # metRology man/Pb.Rd, \details: KCRV 2.99 mg/kg.
    ev = evaluate_comparison(_pb(), "mean")
    assert ev.reference.value == pytest.approx(2.99, abs=KCRV_PRINTED_TOL)
    assert ev.reference.value == pytest.approx(26.91 / 9, abs=EXACT)
    assert len(ev.reference.included) == 9


def test_excluded_labs_get_does_with_the_plus_sign():
    # Pb.Rd \format: INMETRO (ICP) and INM (GFAAS) were not included in the KCRV.
    ev = evaluate_comparison(_pb(), "mean")
    by = {d.lab: d for d in ev.labs}
    assert not by["INMETRO"].included and not by["INM"].included
    # u²(d) = u_i² + Σ c_j² u_j² with c_j = 1/9 (the mean's uncertainty propagated from the labs' u).
    inc = _pb().u[1:10]
    assert by["INM"].u_d == pytest.approx(np.sqrt((1.98 / 2) ** 2 + sum(u**2 for u in inc) / 81), rel=EXACT)
    assert by["INMETRO"].d == pytest.approx(1.62 - 2.99, abs=EXACT)


def test_median_of_the_included_labs():
    assert median_value(_pb()).value == pytest.approx(2.98, abs=EXACT)


def test_lcs_drops_the_discordant_labs():
    # metRology man/LCS.Rd example: LCS(value, U/k) on all 11 results. The enumeration must find a
    # consistent subset without INMETRO and INM, whose values are far from the rest.
    allin = LabResults(_pb().labs, _pb().x, _pb().u)
    r = largest_consistent_subset(allin)
    assert "INMETRO" not in r.included and "INM" not in r.included
    assert r.consistent and r.p_value >= 0.05
