"""Render and write the files of one item, and measure its cloud and snow cover.

This is the unit of work of the generator (one call per item, run in a process pool).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .landcover import LandCover, render_grid, render_points, to_dn
from .sites import BRUT, SceneSpec

__all__ = ["ItemResult", "build_item_files", "cover_fractions", "raw_points"]

#: Pixels rendered per block (a few MB of float64 per array keeps numpy in the CPU caches).
BLOCK_PIXELS = 262_144
#: Longest side of a quicklook, in pixels.
QUICKLOOK_SIDE = 512
#: DN shown as full white in quicklooks.
QUICKLOOK_WHITE = 2600.0


@dataclass(frozen=True)
class ItemResult:
    """What the STAC writer needs to know after the files of an item are written.

    Attributes
    ----------
    cloud_cover, snow_cover
        Percentages of the valid MS pixels classed cloud or snow, rounded to 0.01.
    sizes
        Size in bytes of each written asset file, by asset key.
    """

    item_id: str
    cloud_cover: float
    snow_cover: float
    sizes: dict[str, int]


def _row_blocks(rows: int, cols: int) -> Iterator[tuple[int, int]]:
    step = max(1, BLOCK_PIXELS // cols)
    for r0 in range(0, rows, step):
        yield r0, min(rows, r0 + step)


class _Counter:
    def __init__(self) -> None:
        self.counts = np.zeros(len(LandCover), dtype=np.int64)

    def add(self, classes: NDArray[np.uint8]) -> None:
        self.counts += np.bincount(classes.ravel(), minlength=len(LandCover))

    def percent(self, cls: LandCover) -> float:
        valid = int(self.counts[1:].sum())
        return round(100.0 * float(self.counts[cls]) / valid, 2) if valid else 0.0


def cover_fractions(spec: SceneSpec) -> tuple[float, float]:
    """Cloud and snow cover (percent of valid MS pixels, rounded to 0.01) of an item."""
    counter = _Counter()
    rows, cols = spec.ms_shape
    col_idx = np.arange(cols)
    for r0, r1 in _row_blocks(rows, cols):
        out = render_grid(spec, spec.ms_transform, np.arange(r0, r1), col_idx, ())
        counter.add(out.classes)
    return counter.percent(LandCover.CLOUD), counter.percent(LandCover.SNOW)


def _quicklook(
    red: NDArray[np.uint16], green: NDArray[np.uint16], blue: NDArray[np.uint16]
) -> NDArray[np.uint8]:
    rgb = np.stack([red, green, blue], axis=-1).astype(np.float64)
    scaled = np.clip(rgb / QUICKLOOK_WHITE, 0.0, 1.0) ** 0.8 * 255.0
    alpha = np.where(red > 0, 255, 0)[..., None]
    return np.concatenate([np.rint(scaled), alpha], axis=-1).astype(np.uint8)


def _ortho_quicklook(spec: SceneSpec) -> NDArray[np.uint8]:
    rows, cols = spec.ms_shape
    step = max(1, -(-max(rows, cols) // QUICKLOOK_SIDE))
    out = render_grid(
        spec, spec.ms_transform, np.arange(0, rows, step), np.arange(0, cols, step),
        ("red", "green", "blue"),
    )
    return _quicklook(*(to_dn(out.bands[b], out.valid) for b in ("red", "green", "blue")))


def raw_points(spec: SceneSpec, shape: tuple[int, int]) -> tuple[
    NDArray[np.float64], NDArray[np.float64]
]:
    """UTM coordinates of the pixel centres of a raw (sensor geometry) image of the footprint.

    The raw image maps the footprint quadrilateral bilinearly: its first row runs along the
    footprint's first edge, as a push-broom sensor's lines would.
    """
    rows, cols = shape
    s = (np.arange(cols) + 0.5) / cols
    t = (np.arange(rows) + 0.5) / rows
    s, t = np.meshgrid(s, t)
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = spec.footprint
    # Corners: 3 = top-left of the image, 2 = top-right, 1 = bottom-right, 0 = bottom-left.
    x = (1 - s) * (1 - t) * x3 + s * (1 - t) * x2 + s * t * x1 + (1 - s) * t * x0
    y = (1 - s) * (1 - t) * y3 + s * (1 - t) * y2 + s * t * y1 + (1 - s) * t * y0
    return x, y


def _pan_value(spec: SceneSpec, bands: dict[str, NDArray[np.float64]]) -> NDArray[np.float64]:
    total: NDArray[np.float64] | None = None
    for name, weight in spec.sensor.pan_weights:
        term = bands[name] * weight
        total = term if total is None else total + term
    assert total is not None
    return total


def _write_ortho(spec: SceneSpec, folder: Path, counter: _Counter, num_threads: int) -> None:
    from .cog import write_cog

    sensor = spec.sensor
    ms_names = [b.common_name for b in sensor.ms_bands]
    rows, cols = spec.ms_shape

    def ms_blocks() -> Iterator[tuple[int, NDArray[np.uint16]]]:
        col_idx = np.arange(cols)
        for r0, r1 in _row_blocks(rows, cols):
            out = render_grid(spec, spec.ms_transform, np.arange(r0, r1), col_idx, ms_names)
            counter.add(out.classes)
            yield r0, np.stack([to_dn(out.bands[n], out.valid) for n in ms_names])

    write_cog(
        folder / spec.file_names["multispectral"], shape=spec.ms_shape,
        transform=spec.ms_transform, epsg=spec.epsg,
        band_names=[b.name for b in sensor.ms_bands], common_names=ms_names,
        blocks=ms_blocks(), num_threads=num_threads,
    )
    if spec.pan_shape is None or spec.pan_transform is None:
        return
    pan_transform = spec.pan_transform
    prow, pcol = spec.pan_shape
    pan_inputs = [n for n, _ in sensor.pan_weights]

    def pan_blocks() -> Iterator[tuple[int, NDArray[np.uint16]]]:
        col_idx = np.arange(pcol)
        for r0, r1 in _row_blocks(prow, pcol):
            out = render_grid(spec, pan_transform, np.arange(r0, r1), col_idx, pan_inputs)
            yield r0, to_dn(_pan_value(spec, out.bands), out.valid)[None]

    write_cog(
        folder / spec.file_names["panchromatic"], shape=spec.pan_shape,
        transform=pan_transform, epsg=spec.epsg, band_names=[sensor.pan_band.name],
        common_names=["pan"], blocks=pan_blocks(), num_threads=num_threads,
    )


def _write_raw(spec: SceneSpec, folder: Path) -> NDArray[np.uint8]:
    from .cog import write_raw_tiff

    assert spec.raw_shape is not None
    sensor = spec.sensor
    ms_names = [b.common_name for b in sensor.ms_bands]
    x, y = raw_points(spec, spec.raw_shape)
    out = render_points(spec, x, y, ms_names)
    valid = np.ones(x.shape, dtype=bool)
    ms = np.stack([to_dn(out.bands[n], valid) for n in ms_names])
    write_raw_tiff(folder / spec.file_names["multispectral"], ms, [b.name for b in sensor.ms_bands])
    f = sensor.pan_factor
    px, py = raw_points(spec, (spec.raw_shape[0] * f, spec.raw_shape[1] * f))
    pan_out = render_points(spec, px, py, [n for n, _ in sensor.pan_weights])
    pan = to_dn(_pan_value(spec, pan_out.bands), np.ones(px.shape, dtype=bool))
    write_raw_tiff(folder / spec.file_names["panchromatic"], pan[None], [sensor.pan_band.name])
    return _quicklook(*(ms[ms_names.index(b)] for b in ("red", "green", "blue")))


def build_item_files(spec: SceneSpec, data_root: Path, num_threads: int = 1) -> ItemResult:
    """Write every twin-hosted file of one item under ``data_root`` and measure its covers.

    Parameters
    ----------
    spec
        The item.
    data_root
        Folder of the object store (its sub-folders are buckets).
    num_threads
        Threads GDAL may use to compress COGs.

    Returns
    -------
    ItemResult
    """
    from .cog import write_png

    paths = {k: data_root / spec.object_key(k) for k in spec.file_names}
    for p in paths.values():
        p.parent.mkdir(parents=True, exist_ok=True)
    counter = _Counter()
    if spec.hosted and spec.level != BRUT:
        _write_ortho(spec, paths["multispectral"].parent, counter, num_threads)
        cloud = counter.percent(LandCover.CLOUD)
        snow = counter.percent(LandCover.SNOW)
    else:
        cloud, snow = cover_fractions(spec)
    quicklook = _write_raw(spec, paths["multispectral"].parent) if spec.level == BRUT else (
        _ortho_quicklook(spec)
    )
    write_png(paths["thumbnail"], quicklook)
    sizes = {k: p.stat().st_size for k, p in paths.items()}
    return ItemResult(spec.item_id, cloud, snow, sizes)
