"""Approximate resting solids of the 74 YCB objects pvmbench loads, for the pickability rule without meshes.

The google_16k meshes ship in no package, so tabletop-v2's YCB splits were made by applying
`pickability.pickability` to a simple solid per object, built from its dimensions in millimetres:
  "measured"   the solid's dimensions are those of the scan's collision hull (the three objects in
               tests/fixtures/ycb, checked against the meshes in tests/unit/test_ycb_pickability.py);
  "documented" the YCB object table (Calli et al., IEEE RAM 2015), posed as the scan rests;
  "estimated"  no figure at hand: a rough size of the real object, posed as it would rest.
Shapes (pickability.SOLIDS): box (narrow side, long side, height[, narrow side at the top]), frustum (bottom and top diameter,
height: cans, cups; a cup's hull fills its cavity, so it is a frustum), rod (diameter, length: lying
on its side), ellipsoid (full x, y, z axes: fruit and balls).

Everything but "measured" is a bounding solid, accurate to several millimetres: run
`python -m pvmbench.envs.tabletop.pickability <YCB_DIR>` on the real meshes before relying on an
object near the limits (6.8 cm grasp width, 1.4 cm height).
"""

from __future__ import annotations

M, D, E = "measured", "documented", "estimated"

YCB_RESTING_SOLIDS: dict[str, tuple[str, tuple[float, ...], str]] = {
    "002_master_chef_can": ("frustum", (102, 102, 139), D),
    "003_cracker_box": ("box", (71, 163, 213, 67), M),  # the scan's hull; the real box is 60 x 158 x 210
    "004_sugar_box": ("box", (38, 89, 175), D),
    "005_tomato_soup_can": ("frustum", (66, 66, 101), D),
    "006_mustard_bottle": ("box", (57, 96, 191), M),  # hull narrowest 5.7 cm across its body
    "007_tuna_fish_can": ("frustum", (85, 85, 33), D),
    "008_pudding_box": ("box", (35, 110, 89), D),
    "009_gelatin_box": ("box", (28, 85, 73), D),
    "010_potted_meat_can": ("box", (50, 97, 82), D),
    "011_banana": ("box", (60, 190, 36), E),  # 36 mm thick; its curve widens the footprint
    "012_strawberry": ("ellipsoid", (44, 44, 55), D),
    "013_apple": ("ellipsoid", (75, 75, 75), D),
    "014_lemon": ("ellipsoid", (68, 54, 54), D),
    "015_peach": ("ellipsoid", (59, 59, 59), D),
    "016_pear": ("ellipsoid", (100, 66, 66), D),
    "017_orange": ("ellipsoid", (73, 73, 73), D),
    "018_plum": ("ellipsoid", (52, 52, 52), D),
    "021_bleach_cleanser": ("box", (65, 98, 250), D),
    "022_windex_bottle": ("box", (80, 105, 270), D),
    "024_bowl": ("frustum", (60, 159, 53), D),
    "025_mug": ("box", (80, 117, 82), D),  # 80 mm body plus the handle
    "026_sponge": ("box", (72, 114, 14), D),
    "028_skillet_lid": ("frustum", (270, 60, 30), E),
    "030_fork": ("box", (20, 198, 14), D),
    "031_spoon": ("box", (38, 171, 14), D),
    "032_knife": ("box", (20, 215, 14), D),
    "033_spatula": ("box", (83, 350, 35), D),
    "035_power_drill": ("box", (141, 184, 56), M),  # lies on its side; the hull fills the handle's gap
    "036_wood_block": ("box", (85, 85, 200), D),
    "037_scissors": ("box", (87, 200, 14), D),
    "038_padlock": ("box", (47, 65, 24), D),
    "040_large_marker": ("rod", (18, 121), D),
    "042_adjustable_wrench": ("box", (55, 205, 12), E),
    "043_phillips_screwdriver": ("rod", (31, 215), D),
    "044_flat_screwdriver": ("rod", (31, 215), D),
    "048_hammer": ("box", (125, 330, 35), E),  # the head makes the hull's narrowest width
    "050_medium_clamp": ("box", (90, 115, 27), E),
    "051_large_clamp": ("box", (125, 165, 32), E),
    "052_extra_large_clamp": ("box", (165, 213, 37), E),
    "055_baseball": ("ellipsoid", (75, 75, 75), D),
    "056_tennis_ball": ("ellipsoid", (65, 65, 65), D),
    "057_racquetball": ("ellipsoid", (55, 55, 55), D),
    "058_golf_ball": ("ellipsoid", (43, 43, 43), D),
    "059_chain": ("box", (100, 120, 30), E),  # a chain scanned in a heap: its hull is the heap
    "061_foam_brick": ("box", (50, 75, 50), D),
    "062_dice": ("box", (16, 16, 16), D),
    "063-a_marbles": ("ellipsoid", (35, 35, 35), E),
    "063-b_marbles": ("ellipsoid", (25, 25, 25), E),
    "065-a_cups": ("frustum", (45, 55, 60), E),
    "065-b_cups": ("frustum", (50, 60, 62), E),
    "065-c_cups": ("frustum", (55, 65, 64), E),
    "065-d_cups": ("frustum", (60, 70, 66), E),
    "065-e_cups": ("frustum", (65, 75, 68), E),
    "065-f_cups": ("frustum", (70, 80, 70), E),
    "065-g_cups": ("frustum", (75, 85, 72), E),
    "065-h_cups": ("frustum", (80, 90, 74), E),
    "065-i_cups": ("frustum", (85, 95, 76), E),
    "065-j_cups": ("frustum", (90, 100, 78), E),
    "070-a_colored_wood_blocks": ("box", (26, 26, 26), E),
    "070-b_colored_wood_blocks": ("box", (26, 26, 26), E),
    "071_nine_hole_peg_test": ("box", (125, 125, 40), E),
    "072-a_toy_airplane": ("box", (40, 180, 45), E),
    "072-b_toy_airplane": ("box", (45, 170, 20), E),
    "072-c_toy_airplane": ("box", (35, 120, 30), E),
    "072-d_toy_airplane": ("box", (35, 100, 30), E),
    "072-e_toy_airplane": ("box", (30, 90, 30), E),
    "073-a_lego_duplo": ("box", (32, 64, 24), E),
    "073-b_lego_duplo": ("box", (32, 64, 24), E),
    "073-c_lego_duplo": ("box", (32, 32, 24), E),
    "073-d_lego_duplo": ("box", (32, 32, 24), E),
    "073-e_lego_duplo": ("box", (32, 64, 24), E),
    "073-f_lego_duplo": ("box", (32, 32, 24), E),
    "073-g_lego_duplo": ("box", (32, 64, 48), E),
    "077_rubiks_cube": ("box", (57, 57, 57), D),
}
