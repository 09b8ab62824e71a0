"""The `ecgcnn` command: `ecgcnn predict RECORD` and `ecgcnn score DIR`."""

import argparse
import os
import sys

from .default_model import PACKAGED_DIR, PROTOCOL, SEED
from .io import EcgError


def parser():
    p = argparse.ArgumentParser(prog="ecgcnn", description="MIT-BIH AAMI heartbeat classifier")
    sub = p.add_subparsers(dest="command", required=True)
    pr = sub.add_parser(
        "predict", help="classify every beat of a recording (WFDB, EDF, CSV, .npy)",
        description="Classify every beat of a recording with a trained model: a WFDB record "
                    "(header + signal), an EDF / EDF+ / BDF file, a CSV file or a .npy array; "
                    "one CSV row per beat, a summary on stderr.")
    pr.add_argument("record", metavar="RECORDING",
                    help="WFDB record path without extension (e.g. data/raw/mitdb/100), or a "
                         ".edf, .bdf, .csv, .tsv, .txt or .npy file")
    model_option(pr)
    pr.add_argument("--out", default="beats.csv", help="output CSV (default: %(default)s)")
    pr.add_argument("--annotations", default="atr", metavar="EXT",
                    help="annotation file extension giving beat positions and reference "
                         "classes when RECORD.EXT exists (default: %(default)s)")
    pr.add_argument("--detect", action="store_true",
                    help="detect beats with the QRS detector even when annotations exist "
                         "(they are then only the reference)")
    pr.add_argument("--lead", help="signal to classify: its name (WFDB or EDF signal, CSV "
                                   "column header) or, in a CSV or .npy file, its column number "
                                   "(1 = first); default: the training lead, MLII or lead II "
                                   "when the recording has it, else its first signal")
    pr.add_argument("--fs", type=float, metavar="HZ",
                    help="sampling frequency, for a CSV file without a time column or a .npy "
                         "file (a file that states its own must agree)")
    adapt_options(pr)
    pr.add_argument("--plot", metavar="PNG", help="also draw a stretch of the signal with the "
                                                  "beats coloured by predicted class")
    pr.add_argument("--plot-start", type=float, metavar="S",
                    help="start of the plotted stretch in seconds (default: just before the "
                         "first beat not predicted N)")
    pr.add_argument("--plot-seconds", type=float, default=10.0, metavar="S",
                    help="length of the plotted stretch (default: %(default)s)")
    sc = sub.add_parser(
        "score", help="score a model on every annotated record of a WFDB database",
        description="Classify every annotated record of a WFDB database directory (its "
                    "RECORDS file, else every header with an annotation file) and score the "
                    "model against the annotations: EC57 gross and record-by-record VEB / "
                    "SVEB statistics, the 5-class confusion matrix and, with --detect, the "
                    "QRS detector's Se / +P. Writes OUT/beats.csv (every beat), "
                    "per_record.csv, summary.json, confusion.csv and PNGs. A record that "
                    "fails is reported and skipped; the exit status is then 1.")
    sc.add_argument("directory", help="WFDB database directory, e.g. data/raw/mitdb")
    sc.add_argument("--records", nargs="+", metavar="NAME",
                    help="only these records (default: all annotated records)")
    model_option(sc)
    sc.add_argument("--annotations", default="atr", metavar="EXT",
                    help="reference annotation extension (default: %(default)s)")
    sc.add_argument("--detect", action="store_true",
                    help="classify the beats the QRS detector finds (scored against the "
                         "annotated beat within 150 ms) instead of the annotated beats")
    sc.add_argument("--lead", help="signal name to classify (default: MLII or lead II, else "
                                   "the first signal)")
    adapt_options(sc)
    sc.add_argument("--out", default="score", help="output directory (default: %(default)s)")
    sc.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1),
                    help="records scored in parallel processes (default: %(default)s)")
    return p


def model_option(p):
    p.add_argument("--model", metavar="DIR",
                   help="model directory written by training (default: the model packaged "
                        "with ecgcnn, the committed run's models/"
                        f"{PROTOCOL}/seed{SEED})")


def adapt_options(p):
    p.add_argument("--adapt-from", metavar="EXT",
                   help="adapt the model to this recording's expert-labelled beats, read from "
                        "the WFDB annotation file RECORD.EXT (e.g. atr, or a file of a few "
                        "labelled beats); the labelled beats are left out of the scores")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--adapt-beats", type=int, metavar="K",
                     help="with --adapt-from: only its first K beats")
    how.add_argument("--adapt-minutes", type=float, metavar="M",
                     help="with --adapt-from: only its beats of the first M minutes (EC57's "
                          "learning period is 5); scores start after them")


def adapt_request(args):
    """predict_file's `adapt` from the options, None without --adapt-from."""
    if args.adapt_from is None:
        if args.adapt_beats is not None or args.adapt_minutes is not None:
            raise EcgError("--adapt-beats and --adapt-minutes need --adapt-from EXT")
        return None
    return {"annotations": args.adapt_from, "beats": args.adapt_beats,
            "minutes": args.adapt_minutes}


def model_dir(args):
    return args.model if args.model is not None else PACKAGED_DIR


def score(args):
    from . import score as scoring

    if args.jobs < 1:
        raise EcgError(f"--jobs {args.jobs}: must be at least 1")
    frames, failed = scoring.score_database(args.directory, model_dir(args), args.records,
                                            args.annotations, args.detect, args.lead,
                                            args.jobs, adapt=adapt_request(args))
    beats = scoring.all_beats(frames)
    summary = scoring.summarise(beats, frames, failed, model_dir(args))
    table = scoring.per_record_table(beats, frames)
    scoring.write_outputs(args.out, beats, summary, table,
                          f"{args.directory}: {len(frames)} records")
    print(scoring.report(summary), file=sys.stderr)
    print(f"wrote {args.out}/ (beats.csv, per_record.csv, summary.json, confusion)",
          file=sys.stderr)
    return 1 if failed else 0


def predict(args):
    from .io import save_figure, write_csv
    from .predict import plot_stretch, predict_file, summary

    recording, frame = predict_file(args.record, model_dir(args), annotations=args.annotations,
                                    detect=args.detect, lead=args.lead, fs=args.fs,
                                    adapt=adapt_request(args))
    # The figure is drawn before anything is written, so a bad --plot-start leaves no CSV.
    fig = plot_stretch(recording, frame, args.plot_start,
                       args.plot_seconds) if args.plot else None
    write_csv(args.out, frame)
    print(summary(frame), file=sys.stderr)
    print(f"wrote {args.out} ({len(frame)} beats)", file=sys.stderr)
    if fig is not None:
        save_figure(args.plot, fig)
        print(f"wrote {args.plot}", file=sys.stderr)


def exit_status(action):
    """`action()`'s exit status (None: 0), or 1 after printing its EcgError as one line."""
    try:
        return action() or 0
    except EcgError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


def main(argv=None):
    args = parser().parse_args(argv)
    return exit_status(lambda: predict(args) if args.command == "predict" else score(args))


if __name__ == "__main__":
    sys.exit(main())
