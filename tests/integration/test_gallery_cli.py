"""`pvmbench shifts gallery` writes the grid researchers look at."""

from __future__ import annotations

from PIL import Image

from pvmbench.cli import main


def test_gallery_writes_a_row_per_level_and_a_column_per_seed(tmp_path, capsys):
    out = tmp_path / "gallery.png"
    rc = main(["shifts", "gallery", "--env", "pvmbench/TableTopPick-v0", "--seeds", "3", "--image-size", "64",
               "--out", str(out)])
    assert rc == 0 and "wrote" in capsys.readouterr().out
    image = Image.open(out)
    # 110 px label column + 3 x (64 + 4); 36 px header + 3 rows x (64 + 4)
    assert image.size == (110 + 3 * 68, 36 + 3 * 68)
