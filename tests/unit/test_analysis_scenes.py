"""Analysis frames: the target's segmentation mask, same-state rendering, saliency geometry."""

import math

import mujoco
import numpy as np
import pytest
import torch

from pvmbench.agents.encoders import build_encoder
from pvmbench.analysis.features import encode
from pvmbench.analysis.retrieval import cosine_matrix
from pvmbench.analysis.saliency import to_frame
from pvmbench.analysis.scenes import (
    APPEARANCE_FACTORS,
    level_scenario,
    make_env,
    oracle_states,
    render_state,
    same_state_scenario,
    segmentation,
    target_mask,
)

ENV = "pvmbench/TableTopPick-v0"
SIZE = 96


@pytest.fixture(scope="module")
def env():
    e = make_env(ENV, {"image_size": SIZE}, privileged=True)
    yield e
    e.close()


def _project(env, point):
    """Pixel (row, col) of a world point in the agent's camera (MuJoCo cameras look down -z)."""
    u = env.unwrapped
    cam = u.tm.cameras[u.camera]
    rel = u.data.cam_xmat[cam].reshape(3, 3).T @ (point - u.data.cam_xpos[cam])
    focal = (SIZE / 2) / math.tan(math.radians(u.model.cam_fovy[cam]) / 2)
    return SIZE / 2 - focal * rel[1] / -rel[2], SIZE / 2 + focal * rel[0] / -rel[2]


@pytest.mark.parametrize("level", ["id", "hard"])
def test_target_mask_is_where_the_target_object_is(env, level):
    obs, _ = env.reset(options={"scenario": level_scenario(env, level, 3)})
    mask = target_mask(env)
    assert mask.shape == (SIZE, SIZE) and 10 < mask.sum() < 0.2 * mask.size
    row, col = _project(env, env.unwrapped.privileged_state()["object"])
    rows, cols = np.nonzero(mask)
    assert abs(rows.mean() - row) < 3 and abs(cols.mean() - col) < 3
    # The segmentation pass leaves the RGB frame as it was.
    np.testing.assert_array_equal(env.unwrapped._observation()["image"], obs["image"])


def test_same_state_scenario_keeps_state_and_takes_appearance(env):
    base, hard = level_scenario(env, "id", 5), level_scenario(env, "hard", 5)
    mixed = same_state_scenario(base, hard)
    assert mixed["objects"] == base["objects"] and mixed["layout"] == base["layout"]
    assert all(mixed[f] == hard[f] for f in APPEARANCE_FACTORS)
    assert hard["objects"] != base["objects"]  # what was held fixed really differs between levels


def test_same_state_scenario_takes_only_the_named_factors(env):
    base, hard = level_scenario(env, "id", 5), level_scenario(env, "hard", 5)
    camera_only = same_state_scenario(base, hard, ("camera",))
    assert camera_only["camera"] == hard["camera"] and camera_only["lighting"] == base["lighting"]
    with pytest.raises(ValueError, match="accepted"):
        same_state_scenario(base, hard, ("objects",))  # state is never taken from the donor


def test_camera_jitter_moves_pixel_labels_and_texture_does_not(env):
    base = level_scenario(env, "id", 2)
    hard = level_scenario(env, "hard", 2)
    labels = {}
    for name, factors in (("id", ()), ("camera", ("camera",)), ("texture", ("table_texture", "lighting"))):
        render_state(env, same_state_scenario(base, hard, factors))
        labels[name] = segmentation(env)
    assert (labels["texture"] == labels["id"]).all()
    assert (labels["camera"] != labels["id"]).mean() > 0.005


def test_a_state_renders_identically_so_self_invariance_is_one(env):
    base = level_scenario(env, "id", 1)
    states = oracle_states(env, base, [0, 12])
    assert not np.allclose(states[0]["qpos"], states[1]["qpos"])  # the oracle moved the arm
    hard = same_state_scenario(base, level_scenario(env, "hard", 1))
    first = render_state(env, base, states[1])
    render_state(env, hard, states[1])  # another appearance in between must leave no trace
    again = render_state(env, base, states[1])
    np.testing.assert_array_equal(first, again)
    torch.manual_seed(0)
    encoder = build_encoder("cnn", "scratch")
    feats = encode(encoder, np.stack([first, again]))
    assert cosine_matrix(feats[:1], feats[1:])[0, 0] == pytest.approx(1.0)


def test_saliency_maps_land_on_the_part_of_the_frame_the_encoder_saw():
    class Cropping:  # resize 256 then crop 224, like EfficientNet and DINOv2
        input_size, resize = 224, 256

    full = to_frame(np.ones((1, 7, 7)), Cropping, 96)[0]
    border = (96 - round(96 * 224 / 256)) // 2
    assert full[border:-border, border:-border].min() > 0.99
    assert full[:border].max() == 0 and full[:, :border].max() == 0
    cnn = build_encoder("cnn", "scratch")  # squashes the whole frame, no crop
    assert to_frame(np.ones((1, 4, 4)), cnn, 96).min() > 0.99


def test_segmentation_is_geom_ids_with_minus_one_for_empty(env):
    env.reset(seed=0)
    u = env.unwrapped
    seg = u._renderer.segmentation(u.data, u.tm.cameras[u.camera])
    assert seg.dtype == np.int32 and seg.shape == (SIZE, SIZE)
    assert seg.min() >= -1 and seg.max() < u.model.ngeom
    table = mujoco.mj_name2id(u.model, mujoco.mjtObj.mjOBJ_GEOM, "table_top")
    assert (seg == table).mean() > 0.3  # the wrist camera looks mostly at the table
