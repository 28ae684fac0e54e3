"""An independent re-implementation of ``jiliang-draw/1`` from its written description.

It uses only ``hashlib``, ``json`` and ``math`` and reads plain dicts, so it shares no code with
:mod:`jiliang.stats.draw`. Ratios are decimal text; ⌈r·N⌉ is computed on integers.
"""

import hashlib
import json


def ceil_ratio(ratio, n):
    whole, _, frac = ratio.partition(".")
    num, den = int(whole + frac), 10 ** len(frac)
    return -(-num * n // den)


def h(key, stratum, item):
    return hashlib.sha256(key + b"\0" + stratum.encode() + b"\0" + item.encode()).digest()


def reference_draw(targets, inspectors, ratios, team_size, same_district, seed_hex, public=None):
    seed = bytes.fromhex(seed_hex)
    key = seed if public is None else hashlib.sha256(seed + public.encode()).digest()
    strata, chosen = {}, []
    for cls in sorted(ratios):
        members = sorted((t for t in targets if t["credit_class"] == cls), key=lambda t: t["id"])
        n = ceil_ratio(ratios[cls], len(members))
        strata[cls] = {"eligible": len(members), "drawn": n}
        chosen += sorted(members, key=lambda t: h(key, cls, t["id"]))[:n]
    ring = sorted(inspectors, key=lambda i: h(key, "inspectors", i["id"]))
    selected, excluded, cursor = [], [], 0
    for t in chosen:
        team, step = [], 0
        while len(team) < team_size and step < len(ring):
            i = ring[(cursor + step) % len(ring)]
            step += 1
            if t["owner_id"] and t["owner_id"] in i["conflicts"].split(";"):
                excluded.append({"target": t["id"], "inspector": i["id"], "reason": "conflict_of_interest"})
            elif same_district and t["district"] and t["district"] == i["district"]:
                excluded.append({"target": t["id"], "inspector": i["id"], "reason": "same_district"})
            else:
                team.append(i["id"])
        assert len(team) == team_size, t["id"]
        cursor = (cursor + step) % len(ring)
        selected.append({"target": t["id"], "inspectors": team})
    return {
        "seed_commitment": hashlib.sha256(seed).hexdigest(),
        "strata": strata,
        "selected": selected,
        "excluded_pairs": excluded,
    }


def digest(rows, columns):
    """SHA-256 of the canonical JSON of the rows sorted by id, each an array in column order."""
    arrays = [[r[c] for c in columns] for r in sorted(rows, key=lambda r: r["id"])]
    return hashlib.sha256(canonical(arrays)).hexdigest()


def canonical(value):
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
