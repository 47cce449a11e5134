"""Reading a corpus: :func:`read` and :func:`sample`, above ``io/`` (which only parses bytes).

``io.read_parts`` parses the files into per-file parts; :func:`state_from_parts` joins them into one
:class:`~bio_explorer.state.State` (IOB2 tags, global sentence/doc ids); :func:`read` wraps it in a
:class:`~bio_explorer.corpus.Corpus` and replays a journal when asked.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from . import schemes
from .corpus import Corpus
from .io import FileRecord, check_options, expand_source, names_files, read_parts
from .io.text import empty_tokens
from .state import State, spans_of

__all__ = ["PUBLIC_TOKEN_COLUMNS", "read", "sample", "state_from_parts"]

PUBLIC_TOKEN_COLUMNS = ("sentence", "position", "token", "tag", "doc", "source", "line")


def read(
    source: Any,
    *,
    format: str = "auto",
    sep: str = "auto",
    token_col: int | None = None,
    tag_col: int | None = None,
    scheme: str = "auto",
    encoding: str = "utf-8",
    multi_tag: str = "error",
    errors: str = "raise",
    strict: bool = True,
    tokens: str = "tokens",
    tags: str = "ner_tags",
    label_names: Sequence[str] | None = None,
    journal: str | os.PathLike | bool | None = None,
    progress: bool | None = None,
    cache: bool | None = None,
) -> Corpus:
    """Read a BIO/IOB corpus into a :class:`~bio_explorer.Corpus`.

    Parameters
    ----------
    source : path, glob, list of paths, DataFrame, HF Dataset, spaCy docs or list of dicts
        Files in any supported dialect (detected per file: column text, CoNLL-U, Parquet/Arrow
        IPC tables, doccano / Label Studio / Argilla JSON(L), spaCy ``.spacy`` DocBins), a
        polars/pandas table with list columns (``tokens``/``ner_tags``, HF style) or one row per
        token with a ``sentence`` column, a Hugging Face ``Dataset``/``DatasetDict`` (label names
        from its features, splits as ``source``), a spaCy ``Doc``/``DocBin``/list of ``Doc``, or a
        list of ``{"tokens": [...], "ner_tags": [...]}`` records.
    format : {"auto", "conll", "tsv", "seed", "conllu"}
        ``"auto"`` detects CoNLL-U; every other column dialect is read by the same column parser.
    sep : {"auto", "\\t", " "}
        Field separator; ``"auto"`` picks TAB when most lines hold one.
    token_col, tag_col : int, optional
        0-based columns of the token and of the tag (GermEval: ``tag_col=3`` reads the nested
        layer).
    scheme : str
        ``"auto"`` or one of :data:`bio_explorer.schemes.SCHEMES` to override detection.
    encoding : str
        Text encoding; undecodable bytes raise :class:`BioFormatError` naming the byte offset.
    multi_tag : {"error", "first", "keep"}
        What to do with comma-joined tags such as ``B-corporation,B-person``.
    errors : {"raise", "collect"}
        ``"collect"`` loads what it can and lists the problems in ``Corpus.problems``.
    strict : bool
        Check that every token line has the same number of columns.
    tokens, tags, label_names
        Column names (and integer→label names) for table input.
    journal : path or bool, optional
        Edit journal to replay (and to append to); ``True`` uses ``<file>.bio-journal.jsonl``.
    progress : bool, optional
        Show a progress bar (default: only for inputs over 20 MB).
    cache : bool, optional
        Reopen from (and keep) a snapshot in the state folder (see :mod:`bio_explorer.cache`);
        any change of a file invalidates it.  ``False`` always parses; the default is on unless
        ``$BIO_EXPLORER_CACHE`` is ``0``.

    Returns
    -------
    Corpus

    Raises
    ------
    BioFormatError
        Malformed input (file, line and what was expected are named).
    """
    scheme, sep = check_options(errors=errors, multi_tag=multi_tag, scheme=scheme, sep=sep,
                                token_col=token_col, tag_col=tag_col)
    if cache is not False and names_files(source):  # reopen from a snapshot, or parse and keep one
        from .cache import read_cached

        options = dict(format=format, sep=sep, token_col=token_col, tag_col=tag_col, scheme=scheme,
                       encoding=encoding, multi_tag=multi_tag, errors=errors, strict=strict)
        key = {**options, "tokens": tokens, "tags": tags, "label_names": label_names}
        corpus = read_cached(expand_source(source), key,
                             lambda: read(source, **options, tokens=tokens, tags=tags,
                                          label_names=label_names, progress=progress,
                                          cache=False),
                             force=cache is True)
        return _replay(corpus, journal)
    parts, scheme = read_parts(
        source, format=format, sep=sep, token_col=token_col, tag_col=tag_col, scheme=scheme,
        encoding=encoding, multi_tag=multi_tag, errors=errors, strict=strict, tokens=tokens,
        tags=tags, label_names=label_names, progress=progress,
    )
    return _replay(Corpus(state_from_parts(parts, scheme=scheme)), journal)


def _replay(corpus: Corpus, journal: str | os.PathLike | bool | None) -> Corpus:
    if journal:
        from .edits import replay_journal

        replay_journal(corpus, journal)
    return corpus


def state_from_parts(parts: list, *, scheme: str = "auto") -> State:
    """One :class:`State` from the ``(raw, parsed, name, path)`` parts of ``io.read_parts``."""
    frames, files, problems = [], [], []
    sent_off = doc_off = 0
    schemes_seen = []
    deferred = None
    for i, (raw, parsed, name, path) in enumerate(parts):
        tok = parsed.tokens
        if parsed.deferred is not None:
            if len(parts) == 1 and tok.height:
                deferred = parsed.deferred  # its columns are read when first asked for
            else:  # several files: each file's rows are completed now
                tok = parsed.deferred.apply(tok)
        vocab = schemes.TagVocab(tok["_eff"], values=parsed.tag_values) if tok.height else None
        codes = None if vocab is None else schemes.code_frame(vocab, tok["sentence"])
        evidence = schemes.scheme_evidence(tok["_eff"], tok["sentence"], vocab=vocab,
                                           codes=codes) \
            if tok.height else schemes.SchemeEvidence("IOB2")
        file_scheme = evidence.scheme if scheme == "auto" else scheme
        if scheme == "auto" and evidence.mixed:
            problems.append(schemes.mixed_scheme_problem(name, evidence, tok))
        schemes_seen.append(file_scheme)
        if file_scheme == "IOB2":  # the tags as the file says: no chunk annotation needed
            tag = tok["_eff"].cast(pl.Categorical)
        else:
            ann = schemes.annotate(tok.select("sentence", "_eff"), "_eff", file_scheme)
            tag = ann.select(schemes.to_iob2(ann, "_eff", file_scheme)).to_series()
        # a literal Categorical broadcast: no string per token
        source = (
            pl.col("_source").cast(pl.Categorical)
            if "_source" in tok.columns
            else pl.lit(name).cast(pl.Categorical)
        )
        tok = tok.with_columns(
            (pl.col("sentence") + sent_off).cast(pl.UInt32),
            (pl.col("doc") + doc_off).cast(pl.UInt32),
            tag.alias("tag"),
            source.alias("source"),
            pl.lit(i, pl.UInt16).alias("_file"),
        ).drop("_source", strict=False)
        if tok.height:
            sent_off = int(tok["sentence"].max()) + 1
            doc_off = int(tok["doc"].max()) + 1
        frames.append(tok)
        files.append(FileRecord(path, name, raw, parsed, file_scheme))
        files[-1].evidence = evidence
        problems.extend(parsed.problems)
    tok = pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()
    if tok.height == 0 and not tok.columns:
        tok = empty_tokens().with_columns(
            pl.lit(None, pl.String).alias("tag"),
            pl.lit(None, pl.String).alias("source"),
            pl.lit(None, pl.UInt16).alias("_file"),
        )
    extra = [c for c in tok.columns if c not in PUBLIC_TOKEN_COLUMNS and not c.startswith("_")]
    tok = tok.select(
        pl.col("sentence").cast(pl.UInt32),
        pl.col("position").cast(pl.UInt32),
        pl.col("token").cast(pl.String),
        pl.col("tag").cast(pl.Categorical),
        pl.col("doc").cast(pl.UInt32),
        pl.col("source").cast(pl.Categorical),
        pl.col("line").cast(pl.UInt32),
        *extra,
        pl.col("_field").cast(pl.Categorical),
        pl.col("_eff").cast(pl.Categorical),
        *([pl.col("_off").cast(pl.UInt32)] if "_off" in tok.columns else []),
        *(["_has_key"] if "_has_key" in tok.columns else []),
        pl.col("_file").cast(pl.UInt16),
        pl.col("tag").cast(pl.Categorical).alias("_orig"),
    )
    main_scheme = max(set(schemes_seen), key=schemes_seen.count) if schemes_seen else "IOB2"
    prob = pl.DataFrame(
        problems,
        schema={
            "source": pl.String,
            "line": pl.UInt32,
            "kind": pl.String,
            "message": pl.String,
        },
    )
    state = State(tok, files, main_scheme, prob)
    state.deferred = deferred
    if len(parts) == 1 and schemes_seen[0] in ("IOB1", "IOB2") and vocab is not None:
        # one file of B-/I- tags: its spans are those of its tag fields (the same chunks in both
        # schemes), from the codes the scheme vote used
        state.put("spans", spans_of(tok, vocab, codes), state.stamp(("tags",)), ("tags",))
    return state


def sample(*, copy: bool = True) -> Corpus:
    """The bundled sample corpus: the Wikipedia article on PyTorch, 20 sentences, 8 labels.

    Parameters
    ----------
    copy : bool
        Read a fresh copy in a temporary folder (default), so that edits saved with ``write()``
        never touch
        the file inside the installed package.
    """
    import shutil
    import tempfile

    packaged = Path(__file__).parent / "data" / "pytorch_wiki.bio"
    if not copy:
        return read(packaged)
    folder = Path(tempfile.mkdtemp(prefix="bio_explorer_sample_"))
    target = folder / packaged.name
    shutil.copyfile(packaged, target)
    return read(target)


def check_format(path: str, **kwargs: Any) -> None:
    """Raise :class:`~bio_explorer.errors.BioFormatError` if ``path`` cannot be read."""
    read(path, **kwargs)
