"""Hugging Face ``datasets`` in and out (``datasets`` is optional: imported only when used).

Reading takes the ``tokens`` / ``ner_tags`` columns of a ``Dataset`` (label names from its
``Sequence(ClassLabel)`` feature) or of every split of a ``DatasetDict`` (the split name becomes the
``source`` of its sentences).  Writing gives list columns and a ``ClassLabel`` feature whose names
are ``O`` then ``B-X``/``I-X`` for every label in sorted order (the CoNLL-2003 layout).
"""

from __future__ import annotations

from typing import Any

import polars as pl

__all__ = ["from_hf", "is_hf", "label_names_for", "to_hf"]


def is_hf(obj: Any) -> bool:
    """A ``datasets.Dataset`` or ``DatasetDict`` (checked without importing ``datasets``)."""
    mod = type(obj).__module__ or ""
    return mod.startswith("datasets.") and type(obj).__name__ in (
        "Dataset", "DatasetDict", "IterableDataset", "IterableDatasetDict")


def _label_names(ds: Any, tags: str) -> list[str] | None:
    feature = ds.features.get(tags)
    inner = getattr(feature, "feature", None)  # Sequence(ClassLabel) / List(ClassLabel)
    if inner is None and isinstance(feature, list) and feature:  # [ClassLabel]
        inner = feature[0]
    names = getattr(inner, "names", None)
    return list(names) if names else None


def from_hf(obj: Any, *, tokens: str = "tokens", tags: str = "ner_tags"
            ) -> tuple[pl.DataFrame, list[str] | None]:
    """A polars table (list columns, plus ``split`` for a ``DatasetDict``) and the label names."""
    if type(obj).__name__.startswith("Iterable"):
        raise TypeError("streaming (Iterable) datasets are not supported: load the split "
                        "without streaming=True, or pass ds.take(n) converted with "
                        "datasets.Dataset.from_list(list(...))")
    if type(obj).__name__ == "DatasetDict":
        frames, names = [], None
        for split, ds in obj.items():
            df, n = from_hf(ds, tokens=tokens, tags=tags)
            frames.append(df.with_columns(pl.lit(split).alias("split")))
            names = names or n
        return pl.concat(frames, how="diagonal_relaxed"), names
    missing = [c for c in (tokens, tags) if c not in obj.column_names]
    if missing:
        raise ValueError(f"the dataset has no column(s) {missing}; columns are "
                         f"{obj.column_names}: pass tokens=... and tags=...")
    # the Arrow table as the dataset shows it (after select/shuffle/filter: an indices mapping)
    table = obj.select_columns([tokens, tags]).with_format("arrow")[:]
    return pl.from_arrow(table), _label_names(obj, tags)


def label_names_for(labels: list[str]) -> list[str]:
    """``["O", "B-A", "I-A", "B-B", ...]`` for sorted ``labels``."""
    return ["O"] + [f"{p}-{lab}" for lab in sorted(labels) for p in ("B", "I")]


def to_hf(sentences: pl.DataFrame, labels: list[str], *, by: str | None = None,
          label_names: list[str] | None = None) -> Any:
    """A ``Dataset`` (``id``, ``tokens``, ``ner_tags``; ``ClassLabel`` names) from one row per
    sentence with ``tokens`` and ``tags`` list columns, or a ``DatasetDict`` keyed by column
    ``by``.  ``label_names`` fixes the ``ClassLabel`` names (e.g. the original dataset's)."""
    try:
        import datasets
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("Hugging Face datasets is needed here: pip install "
                          "'bio-explorer[interop]' (or pip install datasets)") from None
    names = list(label_names) if label_names is not None else label_names_for(labels)
    missing = sentences.select(pl.col("tags").explode().unique()).to_series()
    missing = sorted(set(missing.drop_nulls().to_list()) - set(names))
    if missing:
        raise ValueError(f"tags {missing[:5]} are not in label_names ({len(names)} names)")
    features = datasets.Features({
        "id": datasets.Value("string"),
        "tokens": datasets.Sequence(datasets.Value("string")),
        "ner_tags": datasets.Sequence(datasets.ClassLabel(names=names)),
    })
    ids = pl.Series(names, dtype=pl.String)
    lookup = pl.DataFrame({"tag": ids, "_id": pl.int_range(len(names), dtype=pl.Int64,
                                                            eager=True)})

    def build(part: pl.DataFrame) -> Any:
        # tags → ClassLabel ids with a join on the exploded tags (no Python loop over tokens)
        flat = part.select(pl.int_range(pl.len()).alias("_r"), "tags").explode("tags")
        coded = flat.join(lookup, left_on="tags", right_on="tag", how="left",
                          maintain_order="left")
        ner = coded.group_by("_r", maintain_order=True).agg(pl.col("_id").alias("ner_tags"))
        table = part.select(pl.col("sentence").cast(pl.String).alias("id"), "tokens").with_columns(
            ner["ner_tags"].list.eval(pl.element().cast(pl.Int64)).alias("ner_tags"))
        arrow = table.to_arrow().cast(features.arrow_schema)  # no datasets-side cast pass
        return datasets.Dataset(arrow, info=datasets.DatasetInfo(features=features))

    if by is None:
        return build(sentences)
    parts = sentences.partition_by(by, as_dict=True, maintain_order=True)
    return datasets.DatasetDict({str(k[0]): build(v) for k, v in parts.items()})
