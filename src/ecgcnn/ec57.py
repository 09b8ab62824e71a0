"""ANSI/AAMI EC57 statistics for ventricular (VEB) and supraventricular (SVEB) ectopic beats.

The counting rules are those of PhysioNet's `bxb` (WFDB, app/bxb.c, `print_results`), the
reference implementation of EC57's beat-by-beat comparison. With rows = reference class and
columns = the classifier's label (N n, S s, V v, F f, Q q):

- VEB: TP = Vv; FN = V beats labelled n, s, f or q; FP = Nv + Sv. A fusion (F) or
  unclassifiable (Q) beat labelled v is neither a false positive nor a true negative (EC57
  does not penalise calling a fusion ventricular); labelled anything else it is a true
  negative. FPR = FP / (TN + FP).
- SVEB: TP = Ss; FN = S beats labelled n, v, f or q; FP = Ns + Vs + Fs (a Q beat labelled s is
  not counted). bxb prints no SVEB false-positive rate; ours follows the VEB rule by analogy:
  TN = N, V, F and Q beats not labelled s.

With detected beats (`gross(cm, missed, extra)`), bxb's O row and column count too: a
reference beat no detected beat matched (`missed`, per reference class) is a false negative of
its class (Vo, So), and a detected beat matching no reference beat (`extra`, per label) labelled
v or s is a false positive (Ov, Os), labelled otherwise a true negative.

Differences from running bxb on a record, stated so nobody compares unlike things:
- Beats classified at the reference beat positions are all matched, so the O row and column
  are empty (`score` without --detect); with detection (`score --detect`, noise_stress.py)
  they count as above, with 150 ms one-to-one pairing. bxb's X (shutdown) does not arise.
- Every beat of a record counts; bxb starts at 5 minutes by default (the learning period).
- Classes follow the project's AAMI mapping (de Chazal 2004: `e` and `j` are N); bxb's SVEB
  mode counts `e`, `j` and `n` as S.
"""

import numpy as np

from .aami import CLASSES
from .metrics import accuracy_of, confusion, spread, summary_scores

N, S, V, F, Q = range(len(CLASSES))
NO_BEATS = np.zeros(len(CLASSES), dtype=np.int64)  # no missed or extra beat (no detection)


def ratio(num, den):
    """num / den, or None where EC57 leaves a statistic undefined (bxb prints '-')."""
    return float(num / den) if den else None


def veb(cm, missed=NO_BEATS, extra=NO_BEATS):
    tp = cm[V, V]
    fn = cm[V].sum() - tp + missed[V]
    fp = cm[N, V] + cm[S, V] + extra[V]
    tn = sum(cm[r].sum() - cm[r, V] for r in (N, S, F, Q)) + extra.sum() - extra[V]
    return {"se": ratio(tp, tp + fn), "ppv": ratio(tp, tp + fp), "fpr": ratio(fp, tn + fp)}


def sveb(cm, missed=NO_BEATS, extra=NO_BEATS):
    tp = cm[S, S]
    fn = cm[S].sum() - tp + missed[S]
    fp = cm[N, S] + cm[V, S] + cm[F, S] + extra[S]
    tn = sum(cm[r].sum() - cm[r, S] for r in (N, V, F, Q)) + extra.sum() - extra[S]
    return {"se": ratio(tp, tp + fn), "ppv": ratio(tp, tp + fp), "fpr": ratio(fp, tn + fp)}


def gross(cm, missed=None, extra=None):
    """{"veb": {se, ppv, fpr}, "sveb": {...}} from a 5x5 confusion matrix (gross statistics:
    all beats of all records pooled, as EC57 reports them); with detection, `missed`
    reference beats and `extra` detected beats per class (see above)."""
    cm = np.asarray(cm)
    missed = NO_BEATS if missed is None else np.asarray(missed)
    extra = NO_BEATS if extra is None else np.asarray(extra)
    return {"veb": veb(cm, missed, extra), "sveb": sveb(cm, missed, extra)}


def over_seeds(confusions):
    """{seeds, each one-vs-rest summary score and `ec57` as {mean, std, min, max}} for one
    confusion matrix per training seed ({seed: 5x5}): seeds.json and cv.json."""
    seeds = list(confusions)
    scores = {s: summary_scores(cm) for s, cm in confusions.items()}
    stats = {s: gross(cm) for s, cm in confusions.items()}
    return {"seeds": seeds, **{k: spread([scores[s][k] for s in seeds]) for k in scores[seeds[0]]},
            "ec57": {kind: {stat: spread([stats[s][kind][stat] for s in seeds])
                            for stat in ("se", "ppv", "fpr")} for kind in ("veb", "sveb")}}


def per_record(records, y_true, y_pred, missed=None, extra=None):
    """EC57's record-by-record table: one row per record with its beats per class, its errors
    (in all and per reference class: `N_wrong` = N beats given another label), accuracy and
    the EC57 S and V Se / +P (empty where undefined: no S beat, no s label...); with
    detection, `missed` and `extra` beats per record ({record: [5]}) count in Se / +P."""
    rows = []
    for record in sorted(np.unique(records)):
        mine = records == record
        lost, more = ((d or {}).get(record, NO_BEATS) for d in (missed, extra))
        rows.append(record_row(record, confusion(y_true[mine], y_pred[mine]), lost, more))
    return rows


def record_row(record, cm, missed=NO_BEATS, extra=NO_BEATS):
    """One row of the record-by-record table from the record's confusion matrix."""
    cm = np.asarray(cm)
    v, s = veb(cm, missed, extra), sveb(cm, missed, extra)
    return {"record": str(record), **{c: int(cm[k].sum()) for k, c in enumerate(CLASSES)},
            "errors": int(cm.sum() - np.trace(cm)),
            **{f"{c}_wrong": int(cm[k].sum() - cm[k, k]) for k, c in enumerate(CLASSES)},
            "accuracy": accuracy_of(cm),
            "S_se": s["se"], "S_ppv": s["ppv"], "V_se": v["se"], "V_ppv": v["ppv"]}
