"""Properties of the verifiable draw ``jiliang-draw/1`` against an independent reference."""

from __future__ import annotations

import hashlib
import json
import random
import subprocess
import sys
from collections import Counter

import pytest

from jiliang.errors import InputError
from jiliang.stats.draw import (
    DrawImpossibleError,
    Inspector,
    Policy,
    Target,
    canonical_json,
    draw,
    parse_inspectors_csv,
    parse_targets_csv,
    replay,
    stratum_size,
)
from tests.supervision.reference_draw import canonical, digest, reference_draw

SEED = "5eed" * 8
CLASSES = "ABCD"
#: χ² critical value for 99 degrees of freedom at p = 0.001 (upper tail).
CHI2_99_P001 = 148.23


def make_targets(n: int, districts: int = 5, owners: int | None = None) -> list[Target]:
    return [
        Target(
            f"T{i:05d}", f"Shop {i}", CLASSES[i % 4], f"D{i % districts}", "scale", f"O{i % (owners or n)}"
        )
        for i in range(n)
    ]


def make_inspectors(n: int, districts: int = 5) -> list[Inspector]:
    return [
        Inspector(f"I{j:03d}", f"Inspector {j}", f"D{j % districts}", frozenset({f"O{j}", f"O{j + 7}"}))
        for j in range(n)
    ]


POLICY = Policy(
    edition="2026-1",
    ratios={"A": "0.05", "B": "0.1", "C": "0.3", "D": "1"},
    team_size=2,
    exclude_same_district=True,
)


def as_plain(targets, inspectors):
    return [t.as_row() for t in targets], [i.as_row() for i in inspectors]


def test_matches_the_independent_reference():
    targets, inspectors = make_targets(400), make_inspectors(30)
    record = draw(targets, inspectors, POLICY, SEED).as_dict()
    t_rows, i_rows = as_plain(targets, inspectors)
    ref = reference_draw(t_rows, i_rows, dict(POLICY.ratios), 2, True, SEED)
    for name in ("seed_commitment", "strata", "selected", "excluded_pairs"):
        assert canonical(record[name]) == canonical(ref[name]), name
    columns_t = ["id", "name", "credit_class", "district", "category", "owner_id"]
    assert record["inputs_sha256"]["targets"] == digest(t_rows, columns_t)
    assert record["inputs_sha256"]["inspectors"] == digest(i_rows, ["id", "name", "district", "conflicts"])


def test_reference_with_a_public_value():
    targets, inspectors = make_targets(100), make_inspectors(10)
    record = draw(targets, inspectors, POLICY, SEED, public_value="drand:4242").as_dict()
    ref = reference_draw(*as_plain(targets, inspectors), dict(POLICY.ratios), 2, True, SEED, "drand:4242")
    assert canonical(record["selected"]) == canonical(ref["selected"])
    assert record["public_value"] == "drand:4242"
    plain = draw(targets, inspectors, POLICY, SEED).as_dict()
    assert plain["selected"] != record["selected"]


def test_same_bytes_whatever_the_row_order():
    targets, inspectors = make_targets(300), make_inspectors(20)
    first = draw(targets, inspectors, POLICY, SEED).to_json()
    rng = random.Random(7)
    for _ in range(5):
        t, i = targets[:], inspectors[:]
        rng.shuffle(t)
        rng.shuffle(i)
        assert draw(t, i, POLICY, SEED).to_json() == first


def test_same_bytes_in_another_process(tmp_path):
    targets, inspectors = make_targets(200), make_inspectors(12)
    (tmp_path / "t.csv").write_text(
        "id,name,credit_class,district,category,owner_id\n"
        + "".join(
            f"{t.id},{t.name},{t.credit_class},{t.district},{t.category},{t.owner_id}\n" for t in targets
        )
    )
    (tmp_path / "i.csv").write_text(
        "id,name,district,conflicts\n"
        + "".join(f"{i.id},{i.name},{i.district},{';'.join(sorted(i.conflicts))}\n" for i in inspectors)
    )
    code = (
        "import sys; from pathlib import Path; from jiliang.stats.draw import *\n"
        "t = parse_targets_csv(Path(sys.argv[1]).read_text()); i = parse_inspectors_csv(Path(sys.argv[2]).read_text())\n"
        "p = Policy(edition='2026-1', ratios={'A':'0.05','B':'0.1','C':'0.3','D':'1'}, team_size=2,"
        " exclude_same_district=True)\n"
        "sys.stdout.buffer.write(draw(t, i, p, sys.argv[3]).to_json())\n"
    )
    outs = set()
    for hashseed in ("0", "1", "12345"):
        proc = subprocess.run(
            [sys.executable, "-c", code, str(tmp_path / "t.csv"), str(tmp_path / "i.csv"), SEED],
            capture_output=True,
            check=True,
            env={**_env(), "PYTHONHASHSEED": hashseed},
        )
        outs.add(proc.stdout)
    assert outs == {draw(targets, inspectors, POLICY, SEED).to_json()}


def _env():
    import os

    return dict(os.environ)


@pytest.mark.parametrize("n", [0, 1, 7, 19, 20, 21, 333])
def test_exact_stratum_sizes(n):
    targets = [Target(f"T{i}", "x", "B", "", "", "") for i in range(n)]
    for ratio in ("0", "0.05", "0.1", "0.333", "0.5", "1"):
        policy = Policy(edition="e", ratios={"B": ratio}, team_size=1)
        record = draw(targets, [Inspector("I", "i")], policy, SEED)
        expected = stratum_size(ratio, n)
        assert record.strata["B"] == {"eligible": n, "drawn": expected}
        assert len(record.selected) == expected
        assert len({s["target"] for s in record.selected}) == expected


def test_rounding_rule_is_the_ceiling_of_the_exact_product():
    assert [stratum_size("0.05", n) for n in (0, 1, 19, 20, 21, 40, 41)] == [0, 1, 1, 1, 2, 2, 3]
    assert stratum_size("0.07", 100) == 7  # 0.07 · 100 is 7.000000000000001 in binary floating point


def test_uniform_inclusion_over_many_seeds():
    """Each of 100 targets in a stratum drawn at ratio 0.1: counts over 2,000 seeds are χ²-uniform."""
    targets = [Target(f"T{i:03d}", "x", "C", "", "", "") for i in range(100)]
    policy = Policy(edition="e", ratios={"C": "0.1"}, team_size=1)
    counts: Counter[str] = Counter()
    seeds = 2000
    for s in range(seeds):
        seed = hashlib.sha256(f"seed {s}".encode()).hexdigest()
        counts.update(x["target"] for x in draw(targets, [Inspector("I", "i")], policy, seed).selected)
    expected = seeds * 10 / 100
    chi2 = sum((counts[t.id] - expected) ** 2 / expected for t in targets)
    assert chi2 < CHI2_99_P001, chi2


def test_hard_exclusions_are_never_relaxed():
    targets, inspectors = make_targets(500, owners=50), make_inspectors(25)
    record = draw(targets, inspectors, POLICY, SEED)
    by_id = {t.id: t for t in targets}
    insp = {i.id: i for i in inspectors}
    for row in record.selected:
        t = by_id[row["target"]]
        assert len(row["inspectors"]) == 2 == len(set(row["inspectors"]))
        for iid in row["inspectors"]:
            assert t.owner_id not in insp[iid].conflicts
            assert t.district != insp[iid].district
    reasons = {p["reason"] for p in record.excluded_pairs}
    assert reasons == {"conflict_of_interest", "same_district"}


def test_impossible_assignment_names_the_targets():
    targets = [Target("T1", "a", "A", "D1", "", "O1"), Target("T2", "b", "A", "D2", "", "O2")]
    inspectors = [Inspector("I1", "x", "D1"), Inspector("I2", "y", "D9", frozenset({"O1"}))]
    policy = Policy(edition="e", ratios={"A": "1"}, team_size=1, exclude_same_district=True)
    with pytest.raises(DrawImpossibleError, match="T1") as info:
        draw(targets, inspectors, policy, SEED)
    assert "T2" not in str(info.value)
    assert info.value.details["targets"] == ["T1"]


def test_replay_and_tamper_detection():
    targets, inspectors = make_targets(200), make_inspectors(15)
    record = json.loads(draw(targets, inspectors, POLICY, SEED).to_json())
    ok = replay(record, targets, inspectors)
    assert ok.matches and ok.rerun and ok.problems == ()
    assert replay(record).matches and not replay(record).rerun

    swapped = json.loads(json.dumps(record))
    swapped["selected"][0]["target"] = "T99999"
    assert replay(swapped, targets, inspectors).problems == ("selected differs",)

    fewer = [t for t in targets if t.id != "T00003"]
    problems = replay(record, fewer, inspectors).problems
    assert "targets digest differs" in problems and "inspectors digest differs" not in problems

    renamed = [Inspector(i.id, i.name + "!", i.district, i.conflicts) for i in inspectors]
    assert replay(record, targets, renamed).problems == ("inspectors digest differs",)

    other_seed = dict(record, seed="00" * 16)
    assert "seed_commitment does not match SHA-256(seed)" in replay(other_seed).problems

    cheaper = json.loads(json.dumps(record))
    cheaper["strata"]["D"]["drawn"] -= 1
    assert "stratum D: drawn count is not ⌈ratio · eligible⌉" in replay(cheaper).problems

    edited = json.loads(json.dumps(record))
    edited["policy"]["ratios"]["D"] = "0.5"
    assert "policy digest differs" in replay(edited).problems


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Target("T1", "x", "E"), "unknown credit class 'E'"),
        (lambda: Policy(edition="e", ratios={"Z": "0.1"}), "unknown credit class 'Z'"),
        (lambda: Policy(edition="e", ratios={"A": "1.5"}), "must be in \\[0, 1\\]"),
        (lambda: Policy(edition="e", ratios={"A": "-0.1"}), "must be in \\[0, 1\\]"),
        (lambda: Policy(edition="e", ratios={"A": "lots"}), "must be a number"),
        (lambda: Policy(edition="e", ratios={"A": "0.1"}, team_size=0), "team_size"),
        (lambda: draw([], [], Policy(edition="e", ratios={"A": "0.1"}), "ab" * 15), "120 bits; at least 128"),
        (lambda: draw([], [], Policy(edition="e", ratios={"A": "0.1"}), "xyz"), "hexadecimal"),
        (
            lambda: draw([Target("T", "x", "A"), Target("T", "y", "B")], [], POLICY, SEED),
            "duplicated target id 'T'",
        ),
        (
            lambda: draw([], [Inspector("I", "a"), Inspector("I", "b")], POLICY, SEED),
            "duplicated inspector id 'I'",
        ),
        (
            lambda: draw([Target("T", "x", "C")], [], Policy(edition="e", ratios={"A": "1"}), SEED),
            "no ratio for",
        ),
        (
            lambda: draw(
                [Target("T", "x", "A")], [Inspector("I", "a")], Policy(edition="e", ratios={"A": "1"}), SEED
            ),
            "team_size 2 exceeds the 1 inspectors",
        ),
    ],
)
def test_bad_input_is_one_clear_reason(build, message):
    with pytest.raises(InputError, match=message):
        build()


def test_csv_parsing():
    targets = parse_targets_csv(
        "\ufeffid, name, credit_class, district, category, owner_id\nT1,加油站,A,D1,fuel,O1\n"
    )
    assert targets == [Target("T1", "加油站", "A", "D1", "fuel", "O1")]
    inspectors = parse_inspectors_csv("id,name,district,conflicts\nI1,李,D1,O1; O2\n")
    assert inspectors[0].conflicts == frozenset({"O1", "O2"})
    with pytest.raises(InputError, match="lacks column"):
        parse_targets_csv("id,name\nT1,x\n")
    assert canonical_json({"b": 1, "a": "计"}) == '{"a":"计","b":1}'.encode()
