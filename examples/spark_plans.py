"""Run two bio_explorer plans on Spark (local mode) over a dataset made by ``bx.scan``.

The plans of :mod:`bio_explorer.plans` are group-bys over the Parquet parts; here the same steps
are written with the Spark DataFrame API and checked against :class:`bio_explorer.LazyCorpus`:

* label counts, from the span rows of every part (no partials: Spark does the whole group-by);
* transitions, from the token rows: the previous tag inside a sentence is a window ``lag`` over
  ``sentence`` ordered by ``position`` (polars uses ``shift`` on rows in reading order).

Needs ``pip install pyspark`` and a Java runtime (17 here).  Usage::

    python examples/spark_plans.py path/to/corpus.conll
"""

from __future__ import annotations

import sys
import tempfile
import time

import polars as pl
from polars.testing import assert_frame_equal

import bio_explorer as bx


def main(path: str) -> int:
    from pyspark.sql import SparkSession, Window
    from pyspark.sql import functions as F

    lazy = bx.scan(path, tempfile.mkdtemp(prefix="bx-spark-") + "/ds", part_mb=1)
    folder = lazy.folder
    spark = (SparkSession.builder.master("local[2]").appName("bio_explorer-plans")
             .config("spark.ui.enabled", "false").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    try:
        start = time.perf_counter()
        spans = spark.read.parquet(str(folder / "spans"))
        labels = (
            spans.withColumn("len", F.col("end") - F.col("start"))
            .groupBy("label")
            .agg(F.count("*").alias("spans"), F.sum("len").alias("tokens"),
                 F.countDistinct("sentence").alias("sentences"))
            .withColumn("mean_length", F.col("tokens") / F.col("spans"))
        )
        got = pl.from_pandas(labels.toPandas()).select(
            "label", *(pl.col(c).cast(pl.UInt32) for c in ("spans", "tokens", "sentences")),
            pl.col("mean_length").cast(pl.Float64),
        ).sort(["spans", "label"], descending=[True, False])
        assert_frame_equal(got, lazy.label_counts())
        print(f"label counts on Spark == LazyCorpus.label_counts() "
              f"({time.perf_counter() - start:.1f} s)")

        start = time.perf_counter()
        tok = spark.read.parquet(str(folder / "tokens")).select(
            "sentence", "position", F.coalesce(F.col("_eff"), F.lit("O")).alias("t"))
        w = Window.partitionBy("sentence").orderBy("position")
        into = tok.select(F.coalesce(F.lag("t").over(w), F.lit("<s>")).alias("prev_tag"),
                          F.col("t").alias("tag"))
        last = tok.withColumn("nxt", F.lead("t").over(w)).filter(F.col("nxt").isNull())
        out = last.select(F.col("t").alias("prev_tag"), F.lit("</s>").alias("tag"))
        counts = into.unionByName(out).groupBy("prev_tag", "tag").count()
        partial = pl.from_pandas(counts.toPandas()).rename({"count": "count"})
        from bio_explorer import plans

        got = plans.merge_transitions(partial, lazy.scheme)
        assert_frame_equal(got, lazy.transitions())
        print(f"transitions on Spark == LazyCorpus.transitions() "
              f"({time.perf_counter() - start:.1f} s)")
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else
                  "../shared/corpora/conll2003/valid.txt"))
