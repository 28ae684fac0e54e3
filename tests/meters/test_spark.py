"""The Spark engine equals the local engine (same core via applyInPandas) within 1e-9."""

import math

import pytest

pytestmark = [
    pytest.mark.spark,
    pytest.mark.slow,
    # py4j leaves its gateway sockets to the garbage collector: not ours to close
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"
    ),
]

TOL = 1e-9  # the requirement; both engines call the same function on the same reads


def test_spark_equals_local(city):
    pytest.importorskip("pyspark")
    from jiliang.meters.engine import run_local
    from jiliang.meters.spark import run_spark, spark_session
    from jiliang.meters.types import EstimationSettings

    settings = EstimationSettings(min_periods=100)
    local = run_local(city / "meters.csv", city / "readings", settings)
    spark = spark_session("local[2]", shuffle_partitions=2, memory="1g")
    try:
        spark.sparkContext.setLogLevel("ERROR")
        remote = run_spark(city / "meters.csv", city / "readings", settings, spark=spark)
    finally:
        spark.stop()
    assert [r["meter_id"] for r in local.meters] == [r["meter_id"] for r in remote.meters]
    for a, b in zip(local.meters, remote.meters, strict=True):
        assert a["status"] == b["status"], a["meter_id"]
        for k in ("error_pct", "u_error_pct"):
            if a[k] is None:
                assert b[k] is None
            else:
                assert math.isclose(a[k], b[k], rel_tol=0, abs_tol=TOL), (a["meter_id"], k)
    assert [x["status"] for x in local.areas] == [x["status"] for x in remote.areas]
    assert any(r["status"] == "ok" for r in local.meters)


def test_spark_reads_the_ingest_store_as_the_local_engine(city, tmp_path):
    """A store written by the streaming ingestor (area_id=…/date=…, _ingest/ hidden) gives the same
    results with both engines."""
    pytest.importorskip("pyspark")
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    from jiliang.meters.engine import run_local
    from jiliang.meters.ingest import Store
    from jiliang.meters.spark import run_spark, spark_session
    from jiliang.meters.stream import parse_message
    from jiliang.meters.types import EstimationSettings

    store = Store(tmp_path / "store")
    store.open()
    for part in sorted((city / "readings").glob("area_id=*/*.parquet")):
        topic = f"jiliang/readings/{part.parent.name.split('=', 1)[1]}"
        t = pq.read_table(part)
        cols = zip(
            t["meter_id"].cast(pa.string()).to_pylist(),
            t["ts"].cast(pa.int64()).to_pylist(),
            t["register_kwh"].to_pylist(),
            t["current_a"].to_pylist(),
            strict=True,
        )
        rows = [
            {"meter_id": m, "ts": s // 1_000_000, "register_kwh": r, **({"current_a": c} if c == c else {})}
            for m, s, r, c in cols
        ]
        payloads = [json.dumps({"readings": rows[i : i + 2000]}).encode() for i in range(0, len(rows), 2000)]
        msgs = [(topic, p, parse_message(topic, p, 2e9, 1 << 20, "jiliang/readings")) for p in payloads]
        for j in range(0, len(msgs), 5):
            store.commit(msgs[j : j + 5], 2e9)
    settings = EstimationSettings(min_periods=100)
    local = run_local(city / "meters.csv", store.root, settings)
    spark = spark_session("local[2]", shuffle_partitions=2, memory="1g")
    try:
        spark.sparkContext.setLogLevel("ERROR")
        remote = run_spark(city / "meters.csv", store.root, settings, spark=spark)
    finally:
        spark.stop()
    assert not any("several files" in m for m in local.messages), local.messages
    assert [(r["meter_id"], r["status"]) for r in local.meters] == [
        (r["meter_id"], r["status"]) for r in remote.meters
    ]
    for a, b in zip(local.meters, remote.meters, strict=True):
        if a["error_pct"] is not None:
            assert math.isclose(a["error_pct"], b["error_pct"], rel_tol=0, abs_tol=TOL), a["meter_id"]
    assert any(r["status"] == "ok" for r in local.meters)
