"""The :class:`Corpus` handle: polars frames of tokens, spans and sentences, and their methods.

A ``Corpus`` returned by :func:`bio_explorer.read` owns a shared :class:`_State`; ``Corpus.filter``
returns a *view*: another ``Corpus`` on the same state restricted to a set of sentences (no copy of
the frames).  Edits made through a view change the shared state.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from . import schemes
from .span_text import span_texts

if TYPE_CHECKING:
    from .io import FileRecord

PUBLIC_TOKEN_COLUMNS = ("sentence", "position", "token", "tag", "doc", "source", "line")


class _State:
    """Everything a corpus and its views share."""

    def __init__(
        self, tok: pl.DataFrame, files: list[FileRecord], scheme: str, problems: pl.DataFrame,
        sent: pl.DataFrame | None = None,
    ) -> None:
        self.tok = tok  # internal token frame (public columns + _field, _eff, _off, _orig, _file)
        self.files = files
        self.scheme = scheme
        self.problems = problems
        self.version = 0  # bumped on every change of tags
        self.cache: dict[str, Any] = {}
        self.log: Any = None  # edits.EditLog, created on first edit
        self.journal: Any = None  # edits.Journal, when journalling
        self.sent = _sentence_index(tok) if sent is None else sent

    def cached(self, key: str, build):
        """Memoise ``build()`` for the current version of the tags."""
        hit = self.cache.get(key)
        if hit is not None and hit[0] == self.version:
            return hit[1]
        version = self.version  # tag the value with the tags it was built from (threads may edit)
        value = build()
        self.cache[key] = (version, value)
        return value

    def touch(self) -> None:
        """Record that tags changed: invalidates every cached derived frame."""
        self.version += 1


def _sentence_index(tok: pl.DataFrame) -> pl.DataFrame:
    """One row per sentence with the row range of its tokens (tokens are sorted by sentence)."""
    if tok.height == 0:
        return pl.DataFrame(
            schema={
                "sentence": pl.UInt32,
                "doc": pl.UInt32,
                "source": pl.String,
                "line": pl.UInt32,
                "row": pl.UInt32,
                "n_tokens": pl.UInt32,
            }
        )
    first = (
        tok.select(
            pl.int_range(pl.len(), dtype=pl.UInt32).alias("row"),
            "sentence",
            "doc",
            "source",
            "line",
            (pl.col("sentence") != pl.col("sentence").shift(1)).fill_null(True).alias("_f"),
        )
        .filter(pl.col("_f"))
        .drop("_f")
        .with_columns(pl.col("source").cast(pl.String))  # cast after the filter: one per sentence
    )
    n = first["row"].shift(-1).fill_null(tok.height).cast(pl.Int64) - first["row"].cast(pl.Int64)
    return first.with_columns(n.cast(pl.UInt32).alias("n_tokens")).select(
        "sentence", "doc", "source", "line", "row", "n_tokens"
    )


class Corpus:
    """A named-entity corpus as polars frames.

    Build one with :func:`bio_explorer.read` or :func:`bio_explorer.sample`.  Frames:

    ``tokens``
        one row per token: ``sentence``, ``position``, ``token``, ``tag`` (IOB2), ``doc``,
        ``source``,
        ``line`` and any extra column of the file.
    ``spans``
        one row per entity: ``sentence``, ``start``, ``end`` (exclusive), ``label``, ``text``.
    ``sentences``
        ``sentence``, ``doc``, ``source``, ``line``, ``n_tokens``, ``n_spans``.
    """

    def __init__(
        self, state: _State, selection: pl.Series | None = None, query: dict | None = None
    ) -> None:
        self._state = state
        self._sel = selection  # sorted UInt32 sentence ids, or None for the whole corpus
        self._query = dict(query or {})

    # ------------------------------------------------------------------ construction
    @classmethod
    def _from_parts(cls, parts: list, *, scheme: str = "auto") -> Corpus:
        from .io import FileRecord

        frames, files, problems = [], [], []
        sent_off = doc_off = 0
        schemes_seen = []
        for i, (raw, parsed, name, path) in enumerate(parts):
            tok = parsed.tokens
            evidence = schemes.scheme_evidence(tok["_eff"], tok["sentence"]) if tok.height \
                else schemes.SchemeEvidence("IOB2")
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
            from .io.text import _empty_tokens

            tok = _empty_tokens().with_columns(
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
            pl.col("_off").cast(pl.UInt32),
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
        return cls(_State(tok, files, main_scheme, prob))

    @classmethod
    def from_snapshot(
        cls, tok: pl.DataFrame, files: list[FileRecord], scheme: str, problems: pl.DataFrame, *,
        spans: pl.DataFrame | None = None, sentences: pl.DataFrame | None = None,
    ) -> Corpus:
        """A corpus over frames restored by :mod:`bio_explorer.cache` or :mod:`bio_explorer.lazy`
        (internal token frame; spans and sentence index, when given, exactly as a parse built
        them)."""
        state = _State(tok, files, scheme, problems, sentences)
        if spans is not None:
            state.cache["spans"] = (state.version, spans)
        return cls(state)

    # ------------------------------------------------------------------ frames
    @property
    def scheme(self) -> str:
        """The tagging scheme detected in the (first/most common) file, e.g. ``"IOB1"``."""
        return self._state.scheme

    @property
    def scheme_evidence(self) -> pl.DataFrame:
        """How each file's scheme was decided: one row per file.

        ``source``, ``scheme`` (the scheme used), ``detected`` (what detection found),
        ``confidence`` (share of the ambiguous IOB1/IOB2 transitions that agree with the
        detection), ``iob1_votes``, ``iob2_votes`` and ``mixed``; see
        :func:`bio_explorer.schemes.scheme_evidence`.
        """
        from .schemes import evidence_table

        return evidence_table(self._state.files)

    @property
    def problems(self) -> pl.DataFrame:
        """Problems found while reading with ``errors="collect"``: source, line, kind, message."""
        return self._state.problems

    @property
    def query(self) -> dict:
        """The filter this view was made with (``{}`` for the whole corpus)."""
        return dict(self._query)

    @property
    def is_view(self) -> bool:
        """True for the result of :meth:`filter`."""
        return self._sel is not None

    @property
    def tokens(self) -> pl.DataFrame:
        """One row per token (only the sentences of this view)."""
        cols = [c for c in self._state.tok.columns if not c.startswith("_")]
        return self._restrict(self._state.tok).select(cols)

    @property
    def spans(self) -> pl.DataFrame:
        """One row per entity span: sentence, start, end (exclusive), label, text."""
        return self._restrict(self._all_spans())

    @property
    def sentences(self) -> pl.DataFrame:
        """One row per sentence: sentence, doc, source, line, n_tokens, n_spans."""
        return self._restrict(self._sentences_all())

    def sentence_ids(self) -> pl.Series:
        """Ids of the sentences in this view, in reading order."""
        if self._sel is not None:
            return self._sel
        return self._state.sent["sentence"]

    def __len__(self) -> int:
        return int(self.sentence_ids().len())

    @property
    def n_tokens(self) -> int:
        """Number of tokens in this view."""
        return int(self.sentences["n_tokens"].sum())

    def _restrict(self, frame: pl.DataFrame) -> pl.DataFrame:
        if self._sel is None:
            return frame
        return frame.filter(pl.col("sentence").is_in(self._sel.implode()))

    def _all_spans(self) -> pl.DataFrame:
        def build() -> pl.DataFrame:
            tok = self._state.tok
            ann = schemes.annotate(tok.select("sentence", "position", "tag"), "tag", "IOB2")
            sp = schemes.spans_from(ann)
            if sp.height == 0:
                return pl.DataFrame(
                    schema={
                        "sentence": pl.UInt32,
                        "start": pl.UInt32,
                        "end": pl.UInt32,
                        "label": pl.String,
                        "text": pl.String,
                    }
                )
            rows = self._state.sent.select("sentence", "row")
            with_rows = sp.join(rows, on="sentence", how="left", maintain_order="left")
            first = (with_rows["row"] + with_rows["start"]).cast(pl.UInt32)
            lens = (with_rows["end"] - with_rows["start"]).cast(pl.UInt32)
            return sp.with_columns(span_texts(tok["token"], first, lens).alias("text"))

        return self._state.cached("spans", build)

    def _sentences_all(self) -> pl.DataFrame:
        def build() -> pl.DataFrame:
            counts = self._all_spans().group_by("sentence").len("n_spans")
            return (
                self._state.sent.join(counts, on="sentence", how="left", maintain_order="left")
                .with_columns(pl.col("n_spans").fill_null(0).cast(pl.UInt32))
                .select("sentence", "doc", "source", "line", "n_tokens", "n_spans")
            )

        return self._state.cached("sentences", build)

    def labels(self) -> list[str]:
        """Entity types present in the whole corpus, sorted."""
        tags = self._state.tok["tag"].cast(pl.String).unique()
        return sorted({t[2:] for t in tags.to_list() if t and t != "O"})

    # ------------------------------------------------------------------ analysis
    def label_counts(self, by: str | None = None) -> pl.DataFrame:
        """Per label: spans, tokens, sentences, mean span length (``by="source"``: per file)."""
        from .analysis.stats import label_counts

        return label_counts(self, by=by)

    def summary(self, *, anomalies: bool = True) -> dict:
        """Tokens, sentences, docs, spans, labels, scheme, invalid transitions, anomalies.

        ``anomalies=False`` skips the (slower) anomaly scan.
        """
        from .analysis.stats import summary

        return summary(self, anomalies=anomalies)

    def span_lengths(self) -> pl.DataFrame:
        """label × length → count."""
        from .analysis.stats import span_lengths

        return span_lengths(self)

    def transitions(self) -> pl.DataFrame:
        """prev_tag, tag, count, valid over adjacent tags (sentence start ``<s>``, end ``</s>``)."""
        from .analysis.transitions import transitions

        return transitions(self)

    def anomalies(self) -> pl.DataFrame:
        """One row per finding: sentence, start, end, kind, label, detail."""
        from .analysis.anomalies import anomalies

        return anomalies(self)

    def inconsistencies(self, occurrences: bool = False, **kwargs: Any) -> pl.DataFrame:
        """Surface forms labelled in conflicting ways, ranked.

        See :func:`bio_explorer.analysis.consistency.inconsistencies`.
        """
        from .analysis.consistency import inconsistencies

        return inconsistencies(self, occurrences=occurrences, **kwargs)

    # ------------------------------------------------------------------ query
    def filter(self, **query: Any) -> Corpus:
        """A view on the sentences matching every condition (see :func:`bio_explorer.query.select`).
        """
        from .query import filter_corpus

        return filter_corpus(self, **query)

    def page(self, offset: int = 0, limit: int = 50) -> dict:
        """The sentences ``offset .. offset+limit`` of this view as a compact JSON-ready dict."""
        from .query import page

        return page(self, offset, limit)

    # ------------------------------------------------------------------ file-scheme tags
    def _file_scheme_cat(self) -> pl.Series:
        """:meth:`_file_scheme_tags` as a Categorical column (no string copy while unedited)."""
        st = self._state

        def build() -> pl.Series:
            if st.version == 0 or not (st.tok["tag"] != st.tok["_orig"]).any():
                return st.tok["_eff"]
            return self._file_scheme_tags().cast(pl.Categorical)

        return st.cached("file_tags_cat", build)

    def _file_scheme_tags(self) -> pl.Series:
        """Current tags in each file's own scheme (the raw tags where nothing was edited)."""

        def build() -> pl.Series:
            tok = self._state.tok
            base = tok["_eff"].cast(pl.String)
            if self._state.version == 0:
                return base
            edited = tok["tag"] != tok["_orig"]
            if not edited.any():
                return base
            from .io.writer import file_tags

            # only the sentences holding an edited tag are converted (a conversion never looks
            # past a sentence)
            touched = tok["sentence"].filter(edited).unique().implode()
            rows = tok.select("sentence", "tag", "_orig", "_field", "_eff", "_file").with_row_index(
                "_row"
            ).filter(pl.col("sentence").is_in(touched))
            for i, rec in enumerate(self._state.files):
                part = rows.filter(pl.col("_file") == i)
                if part.height == 0:
                    continue
                out = file_tags(part, rec.scheme)
                changed = out["_changed"]
                if changed.any():
                    base = base.scatter(part["_row"].filter(changed), out["_new"].filter(changed))
            return base

        return self._state.cached("file_tags", build)

    # ------------------------------------------------------------------ writing
    def write(
        self,
        path: str | os.PathLike | None = None,
        *,
        scheme: str | None = None,
        force: bool = False,
        backup: bool = True,
    ) -> list[Path]:
        """Write the corpus in its own dialect; untouched lines stay byte-identical.

        A ``path`` ending in ``.parquet``/``.arrow``/``.feather`` writes the ``tokens`` table,
        ``.jsonl``/``.json`` doccano/Label Studio records, ``.spacy`` a spaCy DocBin (see
        :mod:`bio_explorer.interop`).

        Parameters
        ----------
        path : path, optional
            Target file (one-file corpora) or folder (several files).  ``None`` saves in place.
        scheme : str, optional
            Convert tags to another scheme (``"BIOES"``...); only tag fields change.
        force : bool
            Overwrite a file that changed on disk since it was read.
        backup : bool
            On the first in-place save keep the original as ``<file>.bak``.

        Returns
        -------
        list of Path
            The files written.
        """
        from .edits import after_save
        from .interop import write_by_suffix
        from .io.lines import BOM, join_lines
        from .io.writer import file_tags, plain_lines, render_lines
        from .saving import Planned, save_files

        st = self._state
        other = write_by_suffix(self, path, [(r.path, r.layout.dialect) for r in st.files],
                                backup=backup)
        if other is not None:  # Parquet/Arrow, annotation-tool JSON(L), spaCy DocBin
            if path is None:
                after_save(self)
            return other
        if scheme is not None:
            from .io.options import normalise_scheme

            scheme = normalise_scheme(scheme, auto=False)
        targets: list[Path] = []
        for rec in st.files:
            if path is None:
                if rec.path is None:
                    raise ValueError("this corpus was built from a table: pass a path to write()")
                target = rec.path
            elif len(st.files) == 1 and not Path(path).is_dir():
                target = Path(path)
            else:
                Path(path).mkdir(parents=True, exist_ok=True)
                target = Path(path) / Path(rec.name).name
            targets.append(target)
        for rec, target in zip(st.files, targets, strict=True):
            in_place = rec.path is not None and target.resolve() == rec.path.resolve()
            if in_place and scheme not in (None, rec.scheme):
                raise ValueError(
                    f"converting {rec.name} from {rec.scheme} to {scheme} in place is not "
                    "supported; "
                    "write the converted corpus to another path"
                )
        plan = []
        for i, (rec, target) in enumerate(zip(st.files, targets, strict=True)):
            in_place = rec.path is not None and target.resolve() == rec.path.resolve()
            rows = st.tok.filter(pl.col("_file") == i)
            new = file_tags(rows, rec.scheme, scheme)
            lines = None
            if rec.raw is None:
                sentences = plain_lines(rows, new["_new"])
                text = sentences.str.join("\n\n").item() + "\n" if sentences.len() else ""
                data = text.encode("utf-8")
            else:
                lines = render_lines(rec.raw.lines, rows, new)
                text = join_lines(lines, rec.raw)
                enc = rec.raw.encoding
                enc = "utf-8" if enc.lower() in ("utf-8-sig", "utf8") else enc
                data = (BOM if rec.raw.bom else b"") + text.encode(enc)
            plan.append(Planned(rec, target, data, lines, in_place))
        all_in_place = all(p.in_place for p in plan)
        log = st.log
        save_files(plan, force=force, backup=backup,
                   journal=st.journal if all_in_place else None,
                   checkpoint={"next_id": log.next_id if log else 1,
                               "saved": log.done_ids() if log else [],
                               "done": log.done_ids() if log else []})
        if all_in_place:
            after_save(self)
        return targets

    # ------------------------------------------------------------------ edits (see edits.py)
    def relabel(self, sentence: int, start: int, end: int, label: str) -> None:
        """Give the span ``[start, end)`` of ``sentence`` a new label (one undo step)."""
        from .edits import relabel

        relabel(self, sentence, start, end, label)

    def delete_span(self, sentence: int, start: int) -> None:
        """Remove the span starting at ``start`` (its tokens become ``O``)."""
        from .edits import delete_span

        delete_span(self, sentence, start)

    def add_span(self, sentence: int, start: int, end: int, label: str) -> None:
        """Tag ``[start, end)`` as ``label``; overlapping spans are replaced in the same edit."""
        from .edits import add_span

        add_span(self, sentence, start, end, label)

    def resize_span(self, sentence: int, start: int, new_start: int, new_end: int) -> None:
        """Move the boundaries of the span starting at ``start``."""
        from .edits import resize_span

        resize_span(self, sentence, start, new_start, new_end)

    def merge_spans(self, sentence: int, start: int, end: int, label: str | None = None) -> None:
        """Merge every span inside ``[start, end)`` into one."""
        from .edits import merge_spans

        merge_spans(self, sentence, start, end, label)

    def split_span(self, sentence: int, start: int, at: int) -> None:
        """Split the span starting at ``start`` into two at token ``at``."""
        from .edits import split_span

        split_span(self, sentence, start, at)

    def relabel_all(
        self,
        text: str,
        to_label: str,
        from_label: str | None = None,
        *,
        case: bool = True,
        include_untagged: bool = False,
    ):
        """Preview relabelling every occurrence of a surface form (``.apply()`` to do it)."""
        from .edits import relabel_all

        return relabel_all(
            self, text, to_label, from_label, case=case, include_untagged=include_untagged
        )

    def relabel_label(self, old: str, new: str):
        """Preview renaming/merging a label everywhere."""
        from .edits import relabel_label

        return relabel_label(self, old, new)

    def repair(self, strategy: str = "begin"):
        """Preview repairing invalid transitions (orphan ``I-X`` → ``B-X`` or → ``O``)."""
        from .edits import repair

        return repair(self, strategy)

    def apply_inconsistency(self, row: Any):
        """Preview relabelling the dissenting occurrences of one ``inconsistencies()`` row."""
        from .edits import apply_inconsistency

        return apply_inconsistency(self, row)

    def cross_check(self, folds: int = 5, seed: int = 0, **kwargs: Any) -> pl.DataFrame:
        """Tag every sentence with a CRF trained on the other folds (needs the ``check`` extra).

        See :func:`bio_explorer.analysis.crosscheck.cross_check`.
        """
        from .analysis.crosscheck import cross_check

        return cross_check(self, folds, seed, **kwargs)

    def load_predictions(self, pred: Any) -> pl.DataFrame:
        """Load a model's predictions (a Corpus or per-token probabilities) for ``suspects()``.

        See :func:`bio_explorer.analysis.predictions.load_predictions`.
        """
        from .analysis.predictions import load_predictions

        return load_predictions(self, pred)

    def suspects(self, *, threshold: float | None = None, **kwargs: Any) -> pl.DataFrame:
        """Every suspected label error from every finder, one ranked frame.

        See :func:`bio_explorer.analysis.suspects.suspects`.
        """
        from .analysis.suspects import suspects

        return suspects(self, threshold=threshold, **kwargs)

    def apply_suggestion(self, row: Any):
        """Apply one ``suspects()`` row's suggestion now (one undo step); returns the Preview."""
        from .analysis.suspects import apply_suggestion

        return apply_suggestion(self, row)

    def apply_suggestions(self, frame: pl.DataFrame):
        """Preview applying every row of a ``suspects()`` frame (``.apply()``: one undo step)."""
        from .edits import apply_suggestions

        return apply_suggestions(self, frame)

    def undo(self) -> bool:
        """Undo the last edit (single or bulk).  Returns False when there is nothing to undo."""
        from .edits import undo

        return undo(self)

    def redo(self) -> bool:
        """Redo the last undone edit.  Returns False when there is nothing to redo."""
        from .edits import redo

        return redo(self)

    @property
    def edits(self) -> pl.DataFrame:
        """Every applied edit: op, sentence, start, end, old tags, new tags, time, lines."""
        from .edits import edits_frame

        return edits_frame(self)

    def apply_edits(self, edits: pl.DataFrame) -> None:
        """Replay an ``edits`` frame (e.g. from another copy); refuses where tokens differ."""
        from .edits import apply_edits

        apply_edits(self, edits)

    @property
    def unsaved(self) -> int:
        """Number of edits applied since the last save."""
        from .edits import unsaved_count

        return unsaved_count(self)

    # ------------------------------------------------------------------ interop (see interop.py)
    def __getitem__(self, key: int | slice) -> Any:
        """``c[i]``: sentence ``i`` of this view as ``{"id", "tokens", "ner_tags", "source"}``;
        ``c[a:b]``: a view on those sentences."""
        from .interop import get_item

        return get_item(self, key)

    def __iter__(self):
        """Iterate over the sentences of this view as ``c[i]`` dicts."""
        from .interop import iter_rows

        return iter_rows(self)

    def file_tags(self) -> pl.Series:
        """Current tags of this view in each file's own scheme (``S-X``/``E-X`` in a BIOES file)."""
        tags = self._file_scheme_tags()
        if self._sel is None:
            return tags
        return tags.filter(self._state.tok["sentence"].is_in(self._sel.implode()))

    def spans_with_offsets(self) -> pl.DataFrame:
        """``spans`` plus ``char_start``/``char_end`` in the sentence text (tokens joined by one
        space)."""
        from .interop import spans_with_offsets

        return spans_with_offsets(self)

    def to_hf(self, *, splits: bool = False, label_names: list[str] | None = None) -> Any:
        """A Hugging Face ``Dataset`` (``DatasetDict`` per source with ``splits=True``)."""
        from .interop import to_hf

        return to_hf(self, splits=splits, label_names=label_names)

    def to_spacy(self, nlp_or_vocab: Any = None) -> list:
        """One spaCy ``Doc`` per sentence, ``doc.ents`` from ``spans``."""
        from .interop import to_spacy

        return to_spacy(self, nlp_or_vocab)

    def to_docbin(self, path: str | os.PathLike | None = None, nlp_or_vocab: Any = None) -> Any:
        """A spaCy ``DocBin`` of :meth:`to_spacy` (saved to ``path`` when given)."""
        from .interop import to_docbin

        return to_docbin(self, path, nlp_or_vocab)

    def to_displacy(self) -> list[dict]:
        """Sentences in displaCy's manual format (``text``, ``ents`` with character offsets)."""
        from .interop import to_displacy

        return to_displacy(self)

    def to_annotations(self, path: str | os.PathLike | None = None, *,
                       tool: str = "doccano") -> list[dict]:
        """doccano / Label Studio / Argilla records (written as JSON lines to ``path``)."""
        from .interop import to_annotations

        return to_annotations(self, path, tool=tool)
    # ------------------------------------------------------------------ review (see review.py)
    def review(self, row: Any, decision: str) -> dict:
        """Record a review decision on a suspect: ``"accept"`` (applies its suggestion, one undo
        step), ``"reject"`` (not shown again) or ``"edit"`` (fixed by hand).  Journalled."""
        from .review import review

        return review(self, row, decision)

    def review_queue(self, *, labels: list[str] | None = None,
                     finders: list[str] | None = None) -> pl.DataFrame:
        """The suspects not reviewed yet, best first (see :func:`bio_explorer.review.queue`)."""
        from .review import queue

        return queue(self, labels=labels, finders=finders)

    @property
    def reviews(self) -> pl.DataFrame:
        """Every review decision: sentence, start, end, text, label, suggestion, suggest_start,
        suggest_end, finder, decision, edit_id, time."""
        from .review import reviews_frame

        return reviews_frame(self)

    # ------------------------------------------------------------------ display
    def __repr__(self) -> str:
        n_sent = len(self)
        kind = "view of " if self.is_view else ""
        files = ", ".join(f.name for f in self._state.files[:3])
        if len(self._state.files) > 3:
            files += f", … ({len(self._state.files)} files)"
        return (
            f"<bio_explorer.Corpus {kind}{n_sent:,} sentences, {self.n_tokens:,} tokens, "
            f"scheme {self.scheme}, from {files}>"
        )

    def _repr_html_(self) -> str:
        import html

        s = self.summary(anomalies=False)
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
            f"<td style='text-align:right'>{html.escape(str(v))}</td></tr>"
            for k, v in s.items()
            if not isinstance(v, (list, dict))
        )
        return f"<table><caption>bio_explorer.Corpus</caption>{rows}</table>"


def sample(*, copy: bool = True) -> Corpus:
    """The bundled sample corpus: the Wikipedia article on PyTorch, 20 sentences, 8 labels.

    Parameters
    ----------
    copy : bool
        Read a fresh copy in a temporary folder (default), so that edits saved with ``write()``
        never
        touch the file inside the installed package.
    """
    import shutil
    import tempfile

    from .io import read

    packaged = Path(__file__).parent / "data" / "pytorch_wiki.bio"
    if not copy:
        return read(packaged)
    folder = Path(tempfile.mkdtemp(prefix="bio_explorer_sample_"))
    target = folder / packaged.name
    shutil.copyfile(packaged, target)
    return read(target)


__all__ = ["Corpus", "sample"]
