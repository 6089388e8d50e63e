"""Offscreen rendering with fixed, fast settings (the GL backend is chosen in gl_backend.py).

A renderer holds a GL context, which cannot cross a process boundary: envs create theirs
lazily, on first render, inside whatever worker process steps them.
"""

from __future__ import annotations

import mujoco
import numpy as np

from pvmbench.envs.gl_backend import SUPPORTED_BACKENDS, gl_backend
from pvmbench.errors import UserError


class OffscreenRenderer:
    """A square RGB renderer with fixed, fast settings: no shadows, reflections, skybox or MSAA.

    Shadows and MSAA cost ~8x on the software renderer (about 55 fps against 450 at 224 px), and
    a visuomotor benchmark gains nothing from them; the choice is made here once, on purpose.
    """

    def __init__(self, model: mujoco.MjModel, size: int, max_geom: int = 2000, sky: bool = False):
        backend = gl_backend()
        if backend not in SUPPORTED_BACKENDS:
            raise UserError(f"MUJOCO_GL={backend!r} is not supported headless; accepted: egl, osmesa")
        model.vis.global_.offwidth = max(model.vis.global_.offwidth, size)
        model.vis.global_.offheight = max(model.vis.global_.offheight, size)
        model.vis.quality.offsamples = 0
        try:
            self._renderer = mujoco.Renderer(model, height=size, width=size, max_geom=max_geom)
        except Exception as exc:  # GL setup errors arrive as assorted types from PyOpenGL/ctypes
            raise UserError(
                f"could not create a {backend} GL context ({exc}); install the Debian packages "
                "libegl1 libopengl0 libgl1-mesa-dri libosmesa6, or set MUJOCO_GL=osmesa"
            ) from exc
        self.size = size
        self.option = mujoco.MjvOption()
        self.option.sitegroup[:] = 0  # the TCP site is for code, not for pixels
        scene = self._renderer.scene
        scene.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = 0
        scene.flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = 0
        scene.flags[mujoco.mjtRndFlag.mjRND_SKYBOX] = int(sky)
        self._out = np.empty((size, size, 3), dtype=np.uint8)

    @property
    def scene(self) -> mujoco.MjvScene:
        return self._renderer.scene

    def render(self, data: mujoco.MjData, camera: int) -> np.ndarray:
        """A fresh uint8 (size, size, 3) frame from the given camera id."""
        self._renderer.update_scene(data, camera=camera, scene_option=self.option)
        return self._renderer.render(out=np.empty((self.size, self.size, 3), dtype=np.uint8))

    def segmentation(self, data: mujoco.MjData, camera: int) -> np.ndarray:
        """int32 (size, size) geom id seen at each pixel, -1 where no geom is (sky, or a site).

        A second pass through the same renderer, so appearance edits (textures, lights, camera
        offsets) match the RGB frame exactly; segmentation ignores colours and lighting.
        """
        self._renderer.enable_segmentation_rendering()
        try:
            self._renderer.update_scene(data, camera=camera, scene_option=self.option)
            seg = self._renderer.render()
        finally:
            self._renderer.disable_segmentation_rendering()
        return np.where(seg[..., 1] == mujoco.mjtObj.mjOBJ_GEOM, seg[..., 0], -1).astype(np.int32)

    def set_fog(self, on: bool, start: float = 0.0, end: float = 1.0, rgba=(0.0, 0.0, 0.0, 1.0)) -> None:
        """Linear fog from start to end metres. MuJoCo fixes fog distances when it creates a GL
        context and ignores later edits, so they are set on the context's GL state directly."""
        from OpenGL import GL

        self.scene.flags[mujoco.mjtRndFlag.mjRND_FOG] = int(on)
        if not on:
            return
        gl = self._renderer._gl_context
        if gl is not None:
            gl.make_current()
        context = self._renderer._mjr_context
        context.fogStart, context.fogEnd = start, end
        context.fogRGBA[:] = rgba
        GL.glFogi(GL.GL_FOG_MODE, GL.GL_LINEAR)
        GL.glFogf(GL.GL_FOG_START, float(start))
        GL.glFogf(GL.GL_FOG_END, float(end))
        GL.glFogfv(GL.GL_FOG_COLOR, [float(c) for c in rgba])

    def upload_texture(self, texture_id: int) -> None:
        """Push model.tex_data for one texture to the GPU, so an in-place texture edit shows."""
        gl = self._renderer._gl_context
        if gl is not None:
            gl.make_current()
        mujoco.mjr_uploadTexture(self._renderer.model, self._renderer._mjr_context, texture_id)

    def close(self) -> None:
        self._renderer.close()
