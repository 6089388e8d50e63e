"""Forgetting: how far fine-tuning moved an encoder from its pretrained self, beside its floors.

Rows, per encoder architecture: the pretrained encoder (built fresh, frozen), each checkpoint, and a
random-init copy of the architecture (random_init.py), the floor. On the shape-kind probe set
(probe_set.py), each row has
  knn_accuracy     k-NN (cosine, leave-one-object-out) accuracy of the shape kinds, with a 95% CI
                   resampling objects (an object's views are correlated); chance is 1 / classes;
  knn_diff         knn_accuracy minus the pretrained encoder's, paired by image, CI as above;
  cka              debiased linear CKA against the pretrained features (cka.py), 95% CI from the
                   delete-one-object jackknife; cka_null_p95 is the 95th percentile of the same CKA
                   with the rows of one side shuffled, the value of features with no correspondence;
  cka_biased       the biased CKA, for comparison with other papers; its shuffled-row null
                   (cka_biased_null) is far from 0 at this n and feature dimension.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pvmbench.agents.encoders import build_encoder, encoder_label
from pvmbench.analysis.cka import cka_from_grams, cka_permutation_null, gram, linear_cka
from pvmbench.analysis.features import encode
from pvmbench.analysis.knn import knn_predictions
from pvmbench.analysis.policies import LoadedPolicy
from pvmbench.analysis.probe_set import ProbeSet
from pvmbench.analysis.random_init import random_init_copy
from pvmbench.analysis.stats import cluster_bootstrap_ci, jackknife_ci
from pvmbench.errors import UserError

NULL_REPS = 200


def check_pretrained(policies: list[LoadedPolicy]) -> None:
    scratch = [p.label for p in policies if not p.policy.encoder.pretrained]
    if scratch:
        raise UserError(f"{scratch[0]} has no pretrained self to compare with; accepted: checkpoints of "
                        "pretrained encoders (efficientnet-lite0, dinov2, clip, hf:..., any registered pretrained one)")


def _spec(policy: LoadedPolicy) -> tuple[str, tuple]:
    encoder = policy.policy.encoder
    return encoder.spec or encoder.name, tuple(sorted((encoder.options or {}).items()))


def forgetting_table(policies: list[LoadedPolicy], probe: ProbeSet, k: int = 5) -> pd.DataFrame:
    check_pretrained(policies)
    rows = []
    for spec in dict.fromkeys(_spec(p) for p in policies):
        # The pretrained self, rebuilt from the spec and options the checkpoint stored (any registered encoder).
        name, options = spec[0], dict(spec[1])
        pretrained = build_encoder(name, "frozen", **options)
        label = encoder_label(name)
        reference = encode(pretrained, probe.images)
        encoders = [(f"{label}/pretrained", "pretrained", reference)]
        encoders += [(p.label, "checkpoint", encode(p.policy.encoder, probe.images))
                     for p in policies if _spec(p) == spec]
        floor = random_init_copy(pretrained, probe.images)
        encoders.append((f"{label}/random-init", "floor", encode(floor, probe.images)))
        reference_correct = knn_predictions(reference, probe.labels, probe.groups, k) == probe.labels
        for label, role, feats in encoders:
            rows.append({"encoder": label, "role": role,
                         **_knn_columns(feats, probe, k, reference_correct), **_cka_columns(reference, feats, probe)})
    table = pd.DataFrame(rows)
    return table.assign(k=k, chance=1 / len(probe.classes), images=len(probe.labels),
                        objects=len(np.unique(probe.groups)), classes=len(probe.classes))


def _knn_columns(feats: np.ndarray, probe: ProbeSet, k: int, reference_correct: np.ndarray) -> dict:
    correct = knn_predictions(feats, probe.labels, probe.groups, k) == probe.labels
    accuracy, low, high = cluster_bootstrap_ci(correct, probe.groups)
    diff, diff_low, diff_high = cluster_bootstrap_ci(correct.astype(float) - reference_correct, probe.groups)
    return {"knn_accuracy": accuracy, "knn_ci_low": low, "knn_ci_high": high,
            "knn_diff": diff, "knn_diff_ci_low": diff_low, "knn_diff_ci_high": diff_high}


def _cka_columns(reference: np.ndarray, feats: np.ndarray, probe: ProbeSet) -> dict:
    k_ref, k_feats = gram(reference), gram(feats)

    def debiased(keep: np.ndarray) -> float:
        return cka_from_grams(k_ref[np.ix_(keep, keep)], k_feats[np.ix_(keep, keep)], debiased=True)

    cka, low, high = jackknife_ci(debiased, probe.groups)
    return {"cka": cka, "cka_ci_low": low, "cka_ci_high": high,
            "cka_null_p95": float(np.percentile(cka_permutation_null(reference, feats, NULL_REPS), 95)),
            "cka_biased": linear_cka(reference, feats, debiased=False),
            "cka_biased_null": float(np.mean(cka_permutation_null(reference, feats, NULL_REPS, debiased=False)))}
