"""The `ecgcnn` command. One subcommand so far: `ecgcnn predict RECORD`."""

import argparse
import sys

from .io import EcgError


def parser():
    p = argparse.ArgumentParser(prog="ecgcnn", description="MIT-BIH AAMI heartbeat classifier")
    sub = p.add_subparsers(dest="command", required=True)
    pr = sub.add_parser(
        "predict", help="classify every beat of a WFDB record",
        description="Classify every beat of a WFDB record (header + signal) with a trained "
                    "model; one CSV row per beat, a summary on stderr.")
    pr.add_argument("record", help="WFDB record path without extension, e.g. data/raw/mitdb/100")
    pr.add_argument("--model", default="models/inter_patient/seed0",
                    help="model directory written by training (default: %(default)s)")
    pr.add_argument("--out", default="beats.csv", help="output CSV (default: %(default)s)")
    pr.add_argument("--annotations", default="atr", metavar="EXT",
                    help="annotation file extension giving beat positions and reference "
                         "classes when RECORD.EXT exists (default: %(default)s)")
    pr.add_argument("--detect", action="store_true",
                    help="detect beats with the QRS detector even when annotations exist "
                         "(they are then only the reference)")
    pr.add_argument("--lead", help="signal name to classify (default: the training lead, "
                                   "MLII when the record has it, else its first signal)")
    pr.add_argument("--plot", metavar="PNG", help="also draw a stretch of the signal with the "
                                                  "beats coloured by predicted class")
    pr.add_argument("--plot-start", type=float, metavar="S",
                    help="start of the plotted stretch in seconds (default: just before the "
                         "first beat not predicted N)")
    pr.add_argument("--plot-seconds", type=float, default=10.0, metavar="S",
                    help="length of the plotted stretch (default: %(default)s)")
    return p


def predict(args):
    from .io import save_figure, write_csv
    from .predict import plot_stretch, predict_record, summary

    frame = predict_record(args.record, args.model, annotations=args.annotations,
                           detect=args.detect, lead=args.lead)
    # The figure is drawn before anything is written, so a bad --plot-start leaves no CSV.
    fig = plot_stretch(args.record, frame, args.plot_start, args.plot_seconds,
                       args.annotations) if args.plot else None
    write_csv(args.out, frame)
    print(summary(frame), file=sys.stderr)
    print(f"wrote {args.out} ({len(frame)} beats)", file=sys.stderr)
    if fig is not None:
        save_figure(args.plot, fig)
        print(f"wrote {args.plot}", file=sys.stderr)


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        if args.command == "predict":
            predict(args)
    except EcgError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
