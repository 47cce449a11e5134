"""The :class:`Corpus` handle: polars frames of tokens, spans and sentences, and their methods.

A ``Corpus`` returned by :func:`bio_explorer.read` owns a shared :class:`~bio_explorer.state.State`
(see :mod:`bio_explorer.state`: a ``Corpus`` is a :class:`~bio_explorer.state.View` with the
user-facing methods); ``Corpus.filter``
returns a *view*: another ``Corpus`` on the same state restricted to a set of sentences (no copy of
the frames).  Edits made through a view change the shared state.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from .state import State, View

if TYPE_CHECKING:
    from .io import FileRecord


class Corpus(View):
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

    @classmethod
    def from_snapshot(
        cls, tok: pl.DataFrame, files: list[FileRecord], scheme: str, problems: pl.DataFrame, *,
        spans: pl.DataFrame | None = None, sentences: pl.DataFrame | None = None,
    ) -> Corpus:
        """A corpus over frames restored by :mod:`bio_explorer.cache` or :mod:`bio_explorer.lazy`
        (internal token frame; spans and sentence index, when given, exactly as a parse built
        them)."""
        state = State(tok, files, scheme, problems, sentences)
        if spans is not None:
            state.put("spans", spans, state.stamp(("tags",)), ("tags",))
        return cls(state)

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
        from .query import Query, filter_ids

        q = Query.from_dict(query).to_dict()  # the one validator; the view keeps the clean query
        return Corpus(self._state, selection=filter_ids(self, **q), query=q)

    def page(self, offset: int = 0, limit: int = 50) -> dict:
        """The sentences ``offset .. offset+limit`` of this view as a compact JSON-ready dict."""
        from .query import page

        return page(self, offset, limit)

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
        st.full_tok()  # the tag-field offsets (and extra columns) of a fast read
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


__all__ = ["Corpus"]
