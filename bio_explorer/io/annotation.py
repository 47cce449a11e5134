"""Annotation-tool files (text + character spans): doccano, Label Studio and Argilla, in and out.

Reading turns every record into one sentence.  Tokens come from the record's ``tokens`` field when
joining them with one space gives the record's text (what :mod:`bio_explorer` writes), otherwise
from splitting the text at whitespace.  Character spans become IOB2 tags with
:func:`~bio_explorer.io.charspans.tags_from_char_spans` (a span cutting a token covers the whole
token).

Shapes understood (one JSON object per line, or a JSON list of them):

``doccano``
    ``{"text": ..., "label": [[start, end, "LABEL"], ...]}`` (``labels`` is accepted too) or
    ``{"text": ..., "entities": [{"start_offset": .., "end_offset": .., "label": ..}]}``.
``label_studio``
    tasks ``{"data": {"text": ...}, "annotations": [{"result": [{"value": {"start": ..,
    "end": .., "labels": ["LABEL"]}}, ...]}]}`` (the first annotation, else the first prediction).
``argilla``
    ``{"text": ..., "spans": [{"start": .., "end": .., "label": ..}]}``, Argilla 2 records
    ``{"fields": {"text": ...}, "responses"|"suggestions": {<question>: [...spans...]}}`` and
    Argilla 1 token-classification records ``{"text": ..., "annotation": [[label, start, end]]}``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from ..errors import BioFormatError
from .charspans import SPAN_SCHEMA, tags_from_char_spans, token_offsets

__all__ = ["TOOLS", "detect_tool", "load_records", "parse_records", "records_for"]

TOOLS = ("doccano", "label_studio", "argilla")


def load_records(data: bytes, name: str) -> list[dict]:
    """The JSON objects of a JSON-lines file (or of one JSON list / object)."""
    text = data.decode("utf-8-sig")
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BioFormatError(name, exc.lineno, f"invalid JSON: {exc.msg}") from None
        rows = value
    else:
        rows = []
        for i, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise BioFormatError(
                    name, i, f"invalid JSON ({exc.msg}); expected one JSON object per line"
                ) from None
    bad = next((i for i, r in enumerate(rows) if not isinstance(r, dict)), None)
    if bad is not None:
        raise BioFormatError(name, bad + 1, "expected a JSON object per record")
    return rows


def detect_tool(record: dict) -> str | None:
    """``"doccano"``, ``"label_studio"``, ``"argilla"``, ``"table"`` (tokens + tags) or None."""
    if isinstance(record.get("data"), dict):
        return "label_studio"
    if "fields" in record or "spans" in record or "annotation" in record or (
            "prediction" in record and "tokens" in record):
        return "argilla"
    if "text" in record and any(k in record for k in ("label", "labels", "entities")):
        return "doccano"
    if "tokens" in record and any(k in record for k in ("ner_tags", "tags")):
        return "table"
    return None


def _spans_of(record: dict, tool: str) -> tuple[str, list[tuple[int, int, str]], dict]:
    """(text, [(start, end, label)], metadata) of one record."""
    if tool == "doccano":
        text = record.get("text")
        if "entities" in record:
            spans = [(e["start_offset"], e["end_offset"], e["label"])
                     for e in record["entities"]]
        else:
            spans = [tuple(x[:3]) for x in record.get("label", record.get("labels")) or []]
        meta = record
    elif tool == "label_studio":
        data = record["data"]
        text = data.get("text")
        found = record.get("annotations") or record.get("predictions") or []
        results = (found[0].get("result") or []) if found else []
        spans = [(r["value"]["start"], r["value"]["end"], r["value"]["labels"][0])
                 for r in results if "labels" in r.get("value", {})]
        meta = data
    else:
        fields = record.get("fields")
        text = fields.get("text") if isinstance(fields, dict) else record.get("text")
        meta = record.get("metadata") or record
        if "spans" in record:
            spans = [(s["start"], s["end"], s["label"]) for s in record["spans"] or []]
        elif "annotation" in record or "prediction" in record:
            raw = record.get("annotation") or record.get("prediction") or []
            spans = [(s[1], s[2], s[0]) for s in raw]
        else:
            spans = _argilla_spans(record)
    return text, spans, meta


def _argilla_spans(record: dict) -> list[tuple[int, int, str]]:
    """The spans of an Argilla 2 record dict: the first span question among its responses
    (the first annotator's), else among its suggestions."""
    for key in ("responses", "suggestions"):
        block = record.get(key)
        for value in (block.values() if isinstance(block, dict) else []):
            if isinstance(value, list) and value and isinstance(value[0], dict) \
                    and "value" in value[0]:
                value = value[0]["value"]  # responses: one entry per annotator
            if isinstance(value, dict):
                value = value.get("value")
            if isinstance(value, list) and all(isinstance(v, dict) and "start" in v
                                               for v in value):
                return [(v["start"], v["end"], v["label"]) for v in value]
    return []


def parse_records(rows: list[dict], tool: str, name: str) -> pl.DataFrame:
    """One row per token: ``sentence``, ``token``, ``tag`` (IOB2) and ``source`` when recorded."""
    texts, toks, sources, span_rows = [], [], [], []
    for i, record in enumerate(rows):  # one step per record: JSON is decoded record by record
        try:
            text, spans, meta = _spans_of(record, tool)
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            raise BioFormatError(name, i + 1, f"{tool} record without the expected field "
                                 f"{exc!s}") from None
        if not isinstance(text, str):
            raise BioFormatError(name, i + 1, f"{tool} record has no text")
        texts.append(text)
        tokens = meta.get("tokens") if isinstance(meta, dict) else None
        toks.append(tokens if isinstance(tokens, list) else None)
        source = meta.get("source") if isinstance(meta, dict) else None
        sources.append(source if isinstance(source, str) else None)
        span_rows.extend((i, s, e, lab) for s, e, lab in spans)
    recs = pl.DataFrame({"sentence": pl.Series(range(len(texts)), dtype=pl.UInt32),
                         "text": pl.Series(texts, dtype=pl.String),
                         "tokens": pl.Series(toks, dtype=pl.List(pl.String)),
                         "source": pl.Series(sources, dtype=pl.String)})
    spans = pl.DataFrame(span_rows, schema=SPAN_SCHEMA, orient="row")
    tok = _tokens(recs)
    tags = tags_from_char_spans(tok, spans)
    out = tok.select("sentence", "token").with_columns(tags.alias("tag"))
    if recs["source"].null_count() < recs.height:
        src = recs.select("sentence", pl.col("source").fill_null(name))
        out = out.join(src, on="sentence", how="left", maintain_order="left")
    return out


def _tokens(recs: pl.DataFrame) -> pl.DataFrame:
    """Tokens with character offsets: the stored tokens where they rebuild the text, else the
    whitespace-separated pieces of the text."""
    stored = recs.filter(pl.col("tokens").list.join(" ") == pl.col("text"))
    given = token_offsets(stored.select("sentence", pl.col("tokens").alias("token"))
                          .explode("token").drop_nulls("token"))
    rest = recs.join(stored.select("sentence"), on="sentence", how="anti")
    pieces = (rest.select("sentence", pl.col("text").str.extract_all(r"\s+|\S+").alias("p"))
              .explode("p").drop_nulls("p")
              .with_columns(pl.col("p").str.len_chars().cast(pl.Int64).alias("w")))
    pieces = pieces.with_columns((pl.col("w").cum_sum() - pl.col("w")).over("sentence")
                                 .alias("char_start"))
    split = pieces.filter(~pl.col("p").str.contains(r"^\s")).select(
        "sentence", pl.col("p").alias("token"), "char_start",
        (pl.col("char_start") + pl.col("w")).alias("char_end"))
    tok = pl.concat([given.select(split.columns), split]).sort("sentence", "char_start",
                                                              maintain_order=True)
    return tok.with_columns(pl.int_range(pl.len(), dtype=pl.UInt32).over("sentence")
                            .alias("position"))


def records_for(texts: pl.DataFrame, spans: pl.DataFrame, tool: str) -> list[dict]:
    """JSON-ready records of ``tool`` for sentences ``texts`` (``sentence``, ``text``,
    ``tokens``, ``source``) and character spans ``spans`` (``sentence``, ``char_start``,
    ``char_end``, ``label``, ``text``)."""
    if tool not in TOOLS:
        raise ValueError(f"tool={tool!r}; expected one of {', '.join(TOOLS)}")
    grouped = spans.group_by("sentence").agg(pl.struct("char_start", "char_end", "label", "text")
                                             .alias("spans"))
    rows = texts.join(grouped, on="sentence", how="left", maintain_order="left").to_dicts()
    out: list[dict] = []
    for r in rows:  # one JSON object per sentence
        sp = r["spans"] or []
        meta = {"tokens": r["tokens"], "source": r["source"], "sentence": r["sentence"]}
        if tool == "doccano":
            out.append({"text": r["text"],
                        "label": [[s["char_start"], s["char_end"], s["label"]] for s in sp],
                        **meta})
        elif tool == "label_studio":
            result = [{"id": f"s{r['sentence']}-{k}", "from_name": "label", "to_name": "text",
                       "type": "labels",
                       "value": {"start": s["char_start"], "end": s["char_end"],
                                 "text": s["text"], "labels": [s["label"]]}}
                      for k, s in enumerate(sp)]
            out.append({"data": {"text": r["text"], **meta}, "annotations": [{"result": result}]})
        else:
            out.append({"text": r["text"],
                        "spans": [{"start": s["char_start"], "end": s["char_end"],
                                   "label": s["label"]} for s in sp],
                        "metadata": meta})
    return out


def write_records(records: list[dict], path: Path, *, as_list: bool = False) -> bytes:
    """Serialise records as JSON lines (or one JSON list with ``as_list``)."""
    if as_list:
        return (json.dumps(records, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")


def frame_hint(tool: str) -> dict[str, Any]:
    """Column names for the table route (records holding ``tokens`` + ``ner_tags``/``tags``)."""
    return {"tokens": "tokens", "tags": "ner_tags" if tool == "table" else "tags"}
