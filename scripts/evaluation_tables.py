#!/usr/bin/env python3
"""Prints the Markdown tables of docs/EVALUATION.md from `emotiond evaluate audio --json` outputs.

Usage: scripts/evaluation_tables.py LABEL=report.json [LABEL=report.json ...]
"""
import json
import sys

LABELS = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"]


def table(label, report):
    out = [f"#### {label}", "",
           f"Protocol `{report['protocol']}`, architecture `{report['architecture']}`, "
           f"{report['recipe']['epochs']} epochs, augmentation {'on' if report['recipe']['augment'] else 'off'}, "
           f"total {report['total_seconds'] / 60:.0f} min on this machine.", "",
           "| fold | test actors | accuracy | macro-F1 | balanced accuracy | train s |",
           "| ---: | --- | ---: | ---: | ---: | ---: |"]
    for f in report["folds"]:
        s = f["summary"]
        out.append(f"| {f['fold']} | {'all 24' if len(f['test_actors']) == 24 else ','.join(map(str, f['test_actors']))} | {s['accuracy'] * 100:.1f} % | "
                   f"{s['macro_f1']:.3f} | {s['balanced_accuracy'] * 100:.1f} % | {f['train_seconds']:.0f} |")
    m = report["mean"]
    out.append(f"| **mean** | | **{m['accuracy'] * 100:.1f} %** (sd {m['accuracy_std'] * 100:.1f}) | "
               f"**{m['macro_f1']:.3f}** | **{m['balanced_accuracy'] * 100:.1f} %** | |")
    pooled = report["pooled"]
    out += ["", "Per-class recall (pooled over the folds): " + ", ".join(
        f"{c} {pooled['per_class_recall'][c] * 100:.0f} %" for c in LABELS if c in pooled["per_class_recall"]), ""]
    return "\n".join(out)


for arg in sys.argv[1:]:
    label, path = arg.split("=", 1)
    with open(path) as fh:
        print(table(label, json.load(fh)))
    print()
