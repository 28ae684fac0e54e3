"""Random inspection benchmarks: ``python -m bench.inspections [--targets 100000] [--inspectors 2000]``.

1. A draw over ``--targets`` targets in four credit classes and ``--inspectors`` inspectors in
   8 districts, each inspector with 3 conflicts of interest, teams of two, same district excluded:
   parse both CSV lists, draw, write the canonical record; then replay it from the CSV text.
2. Credit classes for ``--enterprises`` enterprises from random fact counts by the shipped rule set.

Targets (issue): draw ≤ 2 s; credit classes for 100,000 enterprises ≤ 10 s. Best of ``--runs``.
"""

from __future__ import annotations

import argparse
import json
import random
import time

from jiliang.stats.credit import FACTS, Evidence, classify
from jiliang.stats.draw import Policy, draw, parse_inspectors_csv, parse_targets_csv, replay
from jiliang.supervision.credit import load_rules

TARGETS = {"draw_s": 2.0, "credit_s": 10.0}
SEED = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def lists(n_targets: int, n_inspectors: int, rng: random.Random) -> tuple[str, str]:
    classes = "A" * 50 + "B" * 35 + "C" * 12 + "D" * 3
    t = ["id,name,credit_class,district,category,owner_id"]
    t += [f"T{i:07d},单位{i},{rng.choice(classes)},D{rng.randrange(8)},scale,O{i}" for i in range(n_targets)]
    ins = ["id,name,district,conflicts"]
    ins += [
        f"I{j:05d},执法员{j},D{rng.randrange(8)},{';'.join(f'O{rng.randrange(n_targets)}' for _ in range(3))}"
        for j in range(n_inspectors)
    ]
    return "\n".join(t) + "\n", "\n".join(ins) + "\n"


CPU: dict[str, float] = {}


def best(fn, runs: int, name: str = "") -> tuple[float, object]:  # type: ignore[no-untyped-def]
    """Best wall time of ``runs`` calls (and the CPU time of that call in ``CPU[name]``)."""
    times, out = [], None
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        out = fn()
        times.append((time.perf_counter() - start, time.process_time() - cpu))
    wall, used = min(times)
    CPU[name] = round(used, 3)
    return wall, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--targets", type=int, default=100_000)
    ap.add_argument("--inspectors", type=int, default=2_000)
    ap.add_argument("--enterprises", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    rng = random.Random(1)
    t_csv, i_csv = lists(args.targets, args.inspectors, rng)
    policy = Policy(
        edition="bench",
        ratios={"A": "0.02", "B": "0.05", "C": "0.2", "D": "1"},
        team_size=2,
        exclude_same_district=True,
    )

    def run_draw() -> bytes:
        return draw(parse_targets_csv(t_csv), parse_inspectors_csv(i_csv), policy, SEED).to_json()

    draw_s, record_bytes = best(run_draw, args.runs, "draw")
    record = json.loads(record_bytes)  # type: ignore[arg-type]
    replay_s, result = best(
        lambda: replay(record, parse_targets_csv(t_csv), parse_inspectors_csv(i_csv)), args.runs, "replay"
    )
    assert result.matches  # type: ignore[attr-defined]

    rules, _ = load_rules()
    weights = {
        "overdue_instrument": 0.3,
        "error_found": 0.05,
        "seal_broken": 0.01,
        "cheating": 0.002,
        "failed_inspection": 0.03,
        "passed_inspection": 0.1,
        "commitment_broken": 0.01,
        "commitment_kept": 0.3,
    }
    evidence = [
        Evidence(f"O{i}", {f: rng.randint(1, 4) for f in FACTS if rng.random() < weights[f]})
        for i in range(args.enterprises)
    ]
    credit_s, results = best(lambda: [classify(e, rules) for e in evidence], args.runs, "credit")
    by_class: dict[str, int] = {}
    for r in results:  # type: ignore[attr-defined]
        by_class[r.credit_class] = by_class.get(r.credit_class, 0) + 1
    out = {
        "targets": args.targets,
        "inspectors": args.inspectors,
        "selected": len(record["selected"]),
        "excluded_pairs": len(record["excluded_pairs"]),
        "record_bytes": len(record_bytes),  # type: ignore[arg-type]
        "draw_s": round(draw_s, 3),
        "replay_s": round(replay_s, 3),
        "enterprises": args.enterprises,
        "credit_s": round(credit_s, 3),
        "classes": dict(sorted(by_class.items())),
        "cpu_s": CPU,
        "targets_s": TARGETS,
    }
    print(json.dumps(out, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
