"""Forgetting: how far fine-tuning moved an encoder from its pretrained self.

Two numbers per encoder, on the shape-kind probe set (probe_set.py):
  knn_accuracy       k-NN (cosine, leave-one-object-out) accuracy of the 4 shape kinds: how much
                     general object knowledge the features still carry. The pretrained encoder's
                     score is the baseline; chance is the largest class's share.
  cka_vs_pretrained  linear CKA between the encoder's and the pretrained encoder's features on the
                     same images: 1 means the representation is unchanged up to rotation and scale.
The pretrained encoder is built fresh (frozen mode), not read from a checkpoint.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pvmbench.agents.encoders import build_encoder
from pvmbench.analysis.cka import linear_cka
from pvmbench.analysis.features import encode
from pvmbench.analysis.knn import knn_accuracy
from pvmbench.analysis.policies import LoadedPolicy
from pvmbench.analysis.probe_set import ProbeSet
from pvmbench.errors import UserError


def check_pretrained(policies: list[LoadedPolicy]) -> None:
    scratch = [p.label for p in policies if not p.policy.encoder.pretrained]
    if scratch:
        raise UserError(f"{scratch[0]} has no pretrained self to compare with; accepted: checkpoints of "
                        "pretrained encoders (efficientnet-lite0, dinov2, clip)")


def forgetting_table(policies: list[LoadedPolicy], probe: ProbeSet, k: int = 5) -> pd.DataFrame:
    check_pretrained(policies)
    chance = np.bincount(probe.labels).max() / len(probe.labels)
    rows = []
    for name in dict.fromkeys(p.policy.encoder.name for p in policies):
        reference = encode(build_encoder(name, "frozen"), probe.images)
        encoders = [(f"{name}/pretrained", reference)] + [
            (p.label, encode(p.policy.encoder, probe.images)) for p in policies if p.policy.encoder.name == name]
        for label, feats in encoders:
            rows.append({"encoder": label, "knn_accuracy": knn_accuracy(feats, probe.labels, probe.groups, k),
                         "cka_vs_pretrained": linear_cka(reference, feats), "k": k, "chance": chance,
                         "images": len(probe.labels), "objects": len(np.unique(probe.groups)),
                         "classes": len(probe.classes)})
    return pd.DataFrame(rows)
