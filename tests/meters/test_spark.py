"""The Spark engine equals the local engine (same core via applyInPandas) within 1e-9."""

import math

import pytest

pytestmark = [pytest.mark.spark, pytest.mark.slow]

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
