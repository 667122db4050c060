"""Image augmentation for Variational Clustering's x^ in the Python trainer (mirrors the geometry of
training/.../data/Affine.java: inverse mapping about the image centre, bilinear interpolation).

Only what the Python trainer uses: MNIST's random rotation in [-3, 3] degrees (§V-A of
variational-clustering-w2), zero outside the source. The angles come from numpy, not from Java's
SplittableRandom stream, so a Python run's x^ differs from a Java run's with the same seed; the
warp of a given angle is the same computation (float64, rounded to float32 at the end).
"""

import numpy as np

MAX_ROTATION_DEGREES = 3.0


def rotate(images, degrees):
    """Each image of `images` [N, H, W, C] rotated by its angle `degrees` [N] (counter-clockwise on
    screen for > 0) about the centre ((W - 1) / 2, (H - 1) / 2): output pixel p' takes the
    bilinear interpolation of the source at R(theta)^-1 (p' - c) + c, 0 outside the source."""
    images = np.asarray(images)
    n, h, w, c = images.shape
    theta = np.radians(np.asarray(degrees, np.float64)).reshape(n, 1, 1)
    cos, sin = np.cos(theta), np.sin(theta)
    cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
    dy = (np.arange(h, dtype=np.float64) - cy).reshape(1, h, 1)
    dx = (np.arange(w, dtype=np.float64) - cx).reshape(1, 1, w)
    # M = R(theta)^-1 = [[cos, -sin], [sin, cos]] (Affine.warp with shear 0 and no shift).
    sx = cos * dx + (-sin) * dy + cx
    sy = sin * dx + cos * dy + cy
    fx0, fy0 = np.floor(sx), np.floor(sy)
    fx, fy = sx - fx0, sy - fy0
    x0 = np.clip(fx0, -2, w + 1).astype(np.int64)
    y0 = np.clip(fy0, -2, h + 1).astype(np.int64)
    x1, y1 = x0 + 1, y0 + 1

    def weight(frac, index, size):
        return np.where((index < 0) | (index >= size), 0.0, frac)

    wx0, wx1 = weight(1 - fx, x0, w), weight(fx, x1, w)
    wy0, wy1 = weight(1 - fy, y0, h), weight(fy, y1, h)
    rows = np.arange(n).reshape(n, 1, 1)
    src = images.astype(np.float64)

    def at(yi, xi):
        return src[rows, np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1), :]

    out = ((wy0 * wx0)[..., None] * at(y0, x0) + (wy0 * wx1)[..., None] * at(y0, x1)
           + (wy1 * wx0)[..., None] * at(y1, x0) + (wy1 * wx1)[..., None] * at(y1, x1))
    return out.astype(np.float32)


def random_rotation(images, rng, max_degrees=MAX_ROTATION_DEGREES):
    """`rotate` by angles drawn uniformly from [-max_degrees, max_degrees), one per image, from the
    numpy Generator `rng`."""
    degrees = rng.uniform(-max_degrees, max_degrees, size=len(images))
    return rotate(images, degrees)
