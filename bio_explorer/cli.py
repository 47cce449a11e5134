"""The ``bio-explorer`` command line: ``stats``, ``validate`` and ``convert``.

``bio-explorer stats FILE…``
    tokens, sentences, documents, spans, scheme (and how sure its detection is), invalid
    transitions and spans per label.
``bio-explorer validate FILE…``
    lists every format problem and invalid transition as ``file:line: message``; exit status 1
    when there is any (for CI pipelines), 0 otherwise.
``bio-explorer convert IN OUT --scheme BIOES``
    writes ``IN`` to ``OUT`` in another tagging scheme; only the tag fields change.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import polars as pl

from . import schemes
from .errors import BioFormatError

__all__ = ["invalid_transition_rows", "main"]


def _reader_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("reading")
    group.add_argument("--format", default="auto",
                       choices=("auto", "conll", "tsv", "seed", "conllu"))
    group.add_argument("--sep", default="auto", help="field separator: auto, tab or space")
    group.add_argument("--token-col", type=int, default=None, help="0-based token column")
    group.add_argument("--tag-col", type=int, default=None, help="0-based tag column")
    group.add_argument("--scheme-in", dest="scheme_in", default="auto",
                       help="tagging scheme of the input (default: detected)")
    group.add_argument("--encoding", default="utf-8")
    group.add_argument("--multi-tag", default="error", choices=("error", "first", "keep"),
                       help="comma-joined multi-tags: an error, or read the first tag")
    group.add_argument("--no-strict", dest="strict", action="store_false",
                       help="accept token lines with another column count")


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bio-explorer",
        description="Check, summarise and convert BIO/IOB named-entity corpora.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    stats = sub.add_parser("stats", help="tokens, sentences, spans per label, scheme, "
                                         "invalid transitions")
    stats.add_argument("files", nargs="+", metavar="FILE", help="files or globs")
    stats.add_argument("--json", action="store_true", help="print one JSON object per file")
    _reader_options(stats)

    validate = sub.add_parser("validate", help="list problems as file:line: message; "
                                               "exit 1 when there are any")
    validate.add_argument("files", nargs="+", metavar="FILE", help="files or globs")
    validate.add_argument("--max", type=int, default=1000, metavar="N",
                          help="print at most N problems per file (all are counted)")
    _reader_options(validate)

    convert = sub.add_parser("convert", help="write IN to OUT in another tagging scheme")
    convert.add_argument("input", metavar="IN")
    convert.add_argument("output", metavar="OUT")
    convert.add_argument("--scheme", required=True, type=str.upper, choices=schemes.SCHEMES,
                         help="target scheme")
    _reader_options(convert)
    return parser


def _read_kwargs(args: argparse.Namespace, **extra: Any) -> dict:
    sep = {"tab": "\t", "\\t": "\t", "space": " "}.get(args.sep, args.sep)
    return {"format": args.format, "sep": sep, "token_col": args.token_col,
            "tag_col": args.tag_col, "scheme": args.scheme_in, "encoding": args.encoding,
            "multi_tag": args.multi_tag, "strict": args.strict, **extra}


def _expand(patterns: Sequence[str]) -> list[str]:
    from .io import expand_source

    out: list[str] = []
    for pattern in patterns:
        out.extend(str(p) for p in expand_source(pattern))
    return out


# ---------------------------------------------------------------------------- analysis helpers
def invalid_transition_rows(corpus) -> pl.DataFrame:
    """Every invalid transition of ``corpus`` with its file and line, in the file's own scheme.

    Parameters
    ----------
    corpus : Corpus
        A corpus read from files.

    Returns
    -------
    pl.DataFrame
        ``source``, ``line``, ``sentence``, ``position``, ``from_tag``, ``to_tag`` (``<s>`` /
        ``</s>`` at sentence edges), in reading order.
    """
    from .state import file_scheme_tags

    st = corpus.state
    tags = file_scheme_tags(st).alias("_ftag")
    tok = st.tok.select("source", "line", "sentence", "position", "_file").with_columns(tags)
    parts = []
    for i, rec in enumerate(st.files):  # a loop over files, not tokens
        rows = tok.filter(pl.col("_file") == i).drop("_file")
        parts.append(schemes.invalid_transitions(rows, "_ftag", rec.scheme))
    if not parts:
        return pl.DataFrame(schema={"source": pl.String, "line": pl.UInt32, "sentence": pl.UInt32,
                                    "position": pl.UInt32, "from_tag": pl.String,
                                    "to_tag": pl.String})
    return pl.concat(parts).with_columns(pl.col("source").cast(pl.String))


def _invalid_count(corpus) -> int:
    """Invalid transitions: from ``Corpus.transitions()`` when the analysis module exists."""
    try:
        tr = corpus.transitions()
    except (ImportError, AttributeError, NotImplementedError):
        return invalid_transition_rows(corpus).height
    return int(tr.filter(~pl.col("valid"))["count"].sum())


def _stats(corpus) -> dict:
    spans = corpus.spans
    per_label = (
        spans.group_by("label").len("spans").sort(["spans", "label"], descending=[True, False])
    )
    return {
        "tokens": corpus.n_tokens,
        "sentences": len(corpus),
        "docs": int(corpus.state.tok["doc"].n_unique()),
        "spans": spans.height,
        "labels": per_label.height,
        "scheme": corpus.scheme,
        "scheme_confidence": float(corpus.scheme_evidence["confidence"].min()),
        "invalid_transitions": _invalid_count(corpus),
        "spans_per_label": dict(per_label.iter_rows()),
    }


# ---------------------------------------------------------------------------- commands
def _cmd_stats(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .reading import read

    status = 0
    for path in _expand(args.files):
        try:
            corpus = read(path, **_read_kwargs(args))
        except BioFormatError as e:
            print(f"{e}", file=err)
            status = 1
            continue
        info = _stats(corpus)
        if args.json:
            print(json.dumps({"file": path, **info}, ensure_ascii=False), file=out)
            continue
        print(path, file=out)
        for key in ("tokens", "sentences", "docs", "spans", "labels", "scheme",
                    "scheme_confidence", "invalid_transitions"):
            value = info[key]
            shown = f"{value:,}" if isinstance(value, int) else (
                f"{value:.2%}" if isinstance(value, float) else value)
            print(f"  {key.replace('_', ' '):<20} {shown:>12}", file=out)
        if info["spans_per_label"]:
            print("  spans per label:", file=out)
            width = max(len(k) for k in info["spans_per_label"])
            for label, n in info["spans_per_label"].items():
                print(f"    {label:<{width}} {n:>10,}", file=out)
    return status


def _cmd_validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .reading import read

    total = files_bad = 0
    paths = _expand(args.files)
    for path in paths:
        try:
            corpus = read(path, **_read_kwargs(args, errors="collect"))
        except BioFormatError as e:  # nothing could be loaded (no tags, unknown encoding...)
            print(f"{e}", file=out)
            total += 1
            files_bad += 1
            continue
        found = [
            (int(line or 0), f"{path}:{line}: {message}" if line else f"{path}: {message}")
            for line, message in corpus.problems.select("line", "message").iter_rows()
        ]
        bad = invalid_transition_rows(corpus)
        found += [
            (int(line), f"{path}:{line}: invalid transition {a} -> {b} ({corpus.scheme})")
            for line, a, b in bad.select("line", "from_tag", "to_tag").iter_rows()
        ]
        found.sort(key=lambda t: t[0])
        for _, message in found[: args.max]:
            print(message, file=out)
        if len(found) > args.max:
            print(f"{path}: … and {len(found) - args.max} more", file=out)
        total += len(found)
        files_bad += bool(found)
    if total:
        print(f"{total} problem(s) in {files_bad} of {len(paths)} file(s)", file=err)
        return 1
    print(f"{len(paths)} file(s) OK", file=err)
    return 0


def _cmd_convert(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .reading import read

    corpus = read(args.input, **_read_kwargs(args))
    target = Path(args.output)
    if target.exists() and target.resolve() == Path(args.input).resolve():
        print("bio-explorer convert: OUT must differ from IN", file=err)
        return 2
    corpus.write(target, scheme=args.scheme)
    print(f"{args.input} ({corpus.scheme}) -> {target} ({args.scheme})", file=out)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``bio-explorer`` command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 success, 1 problems found (``validate``) or unreadable input, 2 usage error.
    """
    parser = _build_parser()
    args = parser.parse_args(argv)
    # a mixed IOB1/IOB2 file is listed by `validate` and shown by `stats` (scheme confidence)
    warnings.filterwarnings("ignore", category=schemes.MixedSchemeWarning)
    out, err = sys.stdout, sys.stderr
    command = {"stats": _cmd_stats, "validate": _cmd_validate, "convert": _cmd_convert}
    try:
        return command[args.command](args, out, err)
    except BioFormatError as e:
        print(f"bio-explorer: {e}", file=err)
        return 1
    except BrokenPipeError:  # `bio-explorer stats … | head`
        return 0
    except (OSError, ValueError) as e:  # missing file, a directory, a FIFO, a bad option
        print(f"bio-explorer: {e}", file=err)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
