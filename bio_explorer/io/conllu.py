"""Reader for CoNLL-U files carrying NER tags in the MISC column (``name=B-PER``, as NorNE does)."""

from __future__ import annotations

import polars as pl

from ..errors import BioFormatError
from .lines import RawText
from .text import Layout, Parsed, Problems, tag_all_column, tag_vocabulary, with_positions

CONLLU_COLUMNS = ["id", "form", "lemma", "upos", "xpos", "feats", "head", "deprel", "deps", "misc"]
NER_KEYS = ("name", "NE", "ner", "NER", "Entity")


def looks_like_conllu(lines: pl.Series) -> bool:
    """True when most non-comment, non-blank lines have 10 TAB fields and an integer-ish ID."""
    body = lines.head(2000).filter(~lines.head(2000).str.starts_with("#")).str.strip_suffix("\r")
    body = body.filter(body.str.len_bytes() > 0)
    if body.len() == 0:
        return False
    ten = body.str.count_matches("\t", literal=True) == 9
    word_id = ten & body.str.contains(r"^\d+([-.]\d+)?\t")
    # a few bad word ids (reported by the parser) do not make it another dialect
    return (ten.mean() or 0.0) >= 0.95 and (word_id.mean() or 0.0) >= 0.5


def parse_conllu(raw: RawText, path: str, *, ner_key: str | None = None, multi_tag: str = "error",
                 errors: str = "raise") -> Parsed:
    """Parse CoNLL-U lines; multi-word ranges (``3-4``) and empty nodes (``5.1``) are kept for the
    round trip but are not tokens."""
    problems = Problems(path, errors, raw.problems)
    content = raw.lines.str.strip_suffix("\r")
    n = content.len()
    is_comment = content.str.starts_with("#")
    is_blank = content.str.strip_chars().str.len_bytes() == 0
    fields = content.str.split("\t")
    nf = fields.list.len()
    word = ~is_comment & ~is_blank & content.str.contains(r"^\d+\t")
    word_id = fields.list.first()
    rng = word_id.str.extract_groups(r"^(\d+)-(\d+)$")
    backwards = (rng.struct.field("1").cast(pl.Int64, strict=False)
                 >= rng.struct.field("2").cast(pl.Int64, strict=False)).fill_null(False)
    bad_id = ~is_comment & ~is_blank & ~word & (
        ~content.str.contains(r"^\d+[-.]\d+\t") | backwards
    )
    bad = bad_id | (word & (nf != 10))
    if bad.any():
        for i in bad.arg_true().head(1000 if errors == "collect" else 1).to_list():
            if not bad_id[i]:
                reason = f"expected a CoNLL-U word line (10 TAB-separated fields), found {nf[i]}"
            elif backwards[i]:
                reason = (f"multi-word token range {word_id[i]!r} ends before it starts; "
                          "expected a range such as '3-4'")
            else:
                reason = (f"word id {word_id[i]!r} is not a CoNLL-U id; expected an integer "
                          "(3), a range (3-4) or an empty node (3.1)")
            problems.report(i + 1, "column_count" if not bad_id[i] else "word_id", reason)
        word = word & ~bad
    misc = fields.list.get(9, null_on_oob=True).fill_null("")
    if ner_key is None:
        sample = misc.filter(word).head(5000)
        ner_key = next((k for k in NER_KEYS if sample.str.contains(f"(^|\\|){k}=").any()), None)
        if ner_key is None:
            first = int(word.arg_true()[0]) + 1 if word.any() else None
            raise BioFormatError(path, first, "CoNLL-U file has no NER tags in the MISC column "
                                 f"(looked for {', '.join(k + '=' for k in NER_KEYS)})")
    key = f"{ner_key}="
    value = misc.str.extract(f"(?:^|\\|){ner_key}=([^|]*)", 1)
    pos_in_misc = misc.str.find(f"(?:^|\\|){ner_key}=")
    starts_with_pipe = misc.str.slice(pos_in_misc.fill_null(0), 1) == "|"
    off = (
        content.str.len_chars() - misc.str.len_chars() + pos_in_misc
        + pl.select(pl.when(starts_with_pipe).then(1).otherwise(0)).to_series() + len(key)
    )
    tag_field = value.fill_null("O")
    vocab = tag_field.filter(word).unique().to_list()
    eff_map, bad_tags = tag_vocabulary(vocab, multi_tag)
    if bad_tags:
        frame = pl.DataFrame({"t": tag_field, "w": word}).with_row_index("i")
        for i, t in frame.filter(pl.col("w") & pl.col("t").is_in(list(bad_tags))).head(
            1000 if errors == "collect" else 1
        ).select("i", "t").iter_rows():
            problems.report(i + 1, bad_tags[t][0], bad_tags[t][1])
    eff = tag_field.replace_strict(eff_map, default="O", return_dtype=pl.String)
    brk = (~word & ~content.str.contains(r"^\d+[-.]\d+\t")).cum_sum()
    cols = {name: fields.list.get(i, null_on_oob=True).fill_null("") for i, name in
            enumerate(CONLLU_COLUMNS)}
    work = pl.DataFrame(
        {
            "line": pl.int_range(1, n + 1, dtype=pl.UInt32, eager=True),
            "_brk": brk,
            "_keep": word,
            "token": cols["form"],
            "_field": tag_field,
            "_eff": eff,
            "_off": off.cast(pl.UInt32),
            "_has_key": value.is_not_null(),
            **{k: v for k, v in cols.items() if k not in ("form",)},
        }
    )
    tokens = work.filter(pl.col("_keep")).select(
        "line",
        (pl.col("_brk") != pl.col("_brk").shift(1)).fill_null(True).cum_sum().cast(pl.UInt32)
        .sub(1).alias("sentence"),
        pl.lit(0, pl.UInt32).alias("doc"),
        "token",
        "_field",
        "_eff",
        "_off",
        "_has_key",
        *[c for c in CONLLU_COLUMNS if c != "form"],
    )
    tokens = with_positions(tokens)
    if multi_tag == "keep":
        tokens = tokens.with_columns(tag_all_column(tokens["_field"], eff_map))
    layout = Layout("conllu", "\t", 10, 1, 9, [9])
    layout.ner_key = ner_key  # type: ignore[attr-defined]
    return Parsed(tokens, layout, problems.rows, 1 if tokens.height else 0)
