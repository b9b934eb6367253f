"""Sensors of the twin's products and their spectral bands, as frozen dataclasses.

Each band names the column of the planted land cover's spectra it is rendered from
(:attr:`Band.key`, see :data:`dinamis_widgets.twin.scenes.landcover.CANONICAL_BANDS`), so every
sensor sees the same physics: a pixel's NDVI does not depend on the sensor that images it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SENSORS", "Band", "Sensor"]


@dataclass(frozen=True)
class Band:
    """One spectral band, as written in ``eo:bands``.

    Attributes
    ----------
    name
        Band name in the product (``B2``, ``PAN``...).
    common_name
        STAC ``eo:bands`` common name.
    model
        Column of the land cover's spectra to render, when it differs from ``common_name``
        (the three red-edge bands of Sentinel-2 share one common name).
    gsd
        Resolution of the band in metres, when bands of one product differ (Sentinel-2).
    """

    name: str
    common_name: str
    center_wavelength: float
    full_width_half_max: float
    description: str
    model: str = ""
    gsd: float | None = None

    @property
    def key(self) -> str:
        """Column of the land cover's spectra this band is rendered from."""
        return self.model or self.common_name


@dataclass(frozen=True)
class Sensor:
    """A sensor family and the layout of its products.

    Attributes
    ----------
    ms_bands
        Multispectral bands in the order they are stored in the files (R, G, B, NIR first, as in
        real SPOT 6/7 and Pléiades deliveries), so consumers must select bands by name.
    pan_band, pan_weights, pan_gsd
        The panchromatic band, the weights of the band keys whose weighted mean gives its value,
        and its resolution; ``None`` (and no weights) for sensors without one (Sentinel-2).
    ms_side
        Side of a default ORTHO MS raster, in pixels (PAN is ``pan_factor`` times larger).
    """

    key: str
    label: str
    constellation: str
    instruments: tuple[str, ...]
    altitude_km: float
    ms_bands: tuple[Band, ...]
    pan_band: Band | None
    pan_weights: tuple[tuple[str, float], ...]
    ms_gsd: float
    pan_gsd: float | None
    ms_side: int
    pan_factor: int = 4

    @property
    def pan(self) -> Band:
        """The panchromatic band (``ValueError`` for a sensor without one)."""
        if self.pan_band is None:
            raise ValueError(f"sensor {self.label} has no panchromatic band")
        return self.pan_band

    def band(self, name: str) -> Band:
        """The MS band called ``name`` (``KeyError`` if there is none)."""
        for b in self.ms_bands:
            if b.name == name:
                return b
        raise KeyError(f"sensor {self.label} has no band {name!r}")


def _b(name: str, common: str, lo: float, hi: float, desc: str, model: str = "",
       gsd: float | None = None) -> Band:
    return Band(name, common, round((lo + hi) / 2, 4), round(hi - lo, 4), desc, model, gsd)


def _s2(name: str, common: str, centre: float, width: float, desc: str, model: str,
        gsd: float) -> Band:
    return Band(name, common, centre, width, desc, model, gsd)


SENSORS: dict[str, Sensor] = {
    "spot67": Sensor(
        key="spot67",
        label="SPOT 6/7",
        constellation="spot",
        instruments=("naomi",),
        altitude_km=694.0,
        ms_bands=(
            _b("B2", "red", 0.625, 0.695, "Red"),
            _b("B1", "green", 0.530, 0.590, "Green"),
            _b("B0", "blue", 0.455, 0.525, "Blue"),
            _b("B3", "nir", 0.760, 0.890, "Near infrared"),
        ),
        pan_band=_b("PAN", "pan", 0.455, 0.745, "Panchromatic"),
        pan_weights=(("blue", 0.2), ("green", 0.3), ("red", 0.35), ("nir", 0.15)),
        ms_gsd=6.0,
        pan_gsd=1.5,
        ms_side=500,
    ),
    "phr": Sensor(
        key="phr",
        label="PLEIADES",
        constellation="pleiades",
        instruments=("hiri",),
        altitude_km=694.0,
        ms_bands=(
            _b("B2", "red", 0.600, 0.720, "Red"),
            _b("B1", "green", 0.490, 0.610, "Green"),
            _b("B0", "blue", 0.430, 0.550, "Blue"),
            _b("B3", "nir", 0.750, 0.950, "Near infrared"),
        ),
        pan_band=_b("PAN", "pan", 0.470, 0.830, "Panchromatic"),
        pan_weights=(("blue", 0.2), ("green", 0.3), ("red", 0.3), ("nir", 0.2)),
        ms_gsd=2.0,
        pan_gsd=0.5,
        ms_side=500,
    ),
    "pneo": Sensor(
        key="pneo",
        label="PLEIADES NEO",
        constellation="pleiades-neo",
        instruments=("pneo-imager",),
        altitude_km=620.0,
        ms_bands=(
            _b("R", "red", 0.620, 0.690, "Red"),
            _b("G", "green", 0.530, 0.590, "Green"),
            _b("B", "blue", 0.450, 0.520, "Blue"),
            _b("NIR", "nir", 0.770, 0.880, "Near infrared"),
            _b("RE", "rededge", 0.700, 0.750, "Red edge"),
            _b("DB", "coastal", 0.400, 0.450, "Deep blue"),
        ),
        pan_band=_b("PAN", "pan", 0.450, 0.800, "Panchromatic"),
        pan_weights=(("blue", 0.2), ("green", 0.3), ("red", 0.3), ("rededge", 0.1), ("nir", 0.1)),
        ms_gsd=1.2,
        pan_gsd=0.3,
        ms_side=600,
    ),
    # Sentinel-2 MSI as THEIA distributes it: the 10 m and 20 m bands (no 60 m band), in THEIA's
    # order (B2, B3, B4, B8 at 10 m: the R1 group; B5, B6, B7, B8A, B11, B12 at 20 m: R2).
    # Centres and widths: Sentinel-2A MSI.
    "s2": Sensor(
        key="s2",
        label="SENTINEL-2",
        constellation="sentinel-2",
        instruments=("msi",),
        altitude_km=786.0,
        ms_bands=(
            _s2("B2", "blue", 0.490, 0.065, "Blue", "blue", 10.0),
            _s2("B3", "green", 0.560, 0.035, "Green", "green", 10.0),
            _s2("B4", "red", 0.665, 0.030, "Red", "red", 10.0),
            _s2("B8", "nir", 0.842, 0.115, "Near infrared", "nir", 10.0),
            _s2("B5", "rededge", 0.705, 0.015, "Red edge 1", "rededge", 20.0),
            _s2("B6", "rededge", 0.740, 0.015, "Red edge 2", "rededge2", 20.0),
            _s2("B7", "rededge", 0.783, 0.020, "Red edge 3", "rededge3", 20.0),
            _s2("B8A", "nir08", 0.865, 0.020, "Narrow near infrared", "nir08", 20.0),
            _s2("B11", "swir16", 1.610, 0.090, "Short-wave infrared 1.6", "swir16", 20.0),
            _s2("B12", "swir22", 2.190, 0.180, "Short-wave infrared 2.2", "swir22", 20.0),
        ),
        pan_band=None,
        pan_weights=(),
        ms_gsd=10.0,
        pan_gsd=None,
        ms_side=600,
    ),
    # "Super" Sentinel-2: B4, B3, B2, B8 super-resolved with Spot-6/7 as reference, in the band
    # order of SR4RS's pre-trained Sentinel-2 model (red, green, blue, near infrared).
    "s2-sr": Sensor(
        key="s2-sr",
        label="SUPER SENTINEL-2",
        constellation="sentinel-2",
        instruments=("msi",),
        altitude_km=786.0,
        ms_bands=(
            _s2("B4", "red", 0.665, 0.030, "Red", "red", 1.5),
            _s2("B3", "green", 0.560, 0.035, "Green", "green", 1.5),
            _s2("B2", "blue", 0.490, 0.065, "Blue", "blue", 1.5),
            _s2("B8", "nir", 0.842, 0.115, "Near infrared", "nir", 1.5),
        ),
        pan_band=None,
        pan_weights=(),
        ms_gsd=1.5,
        pan_gsd=None,
        ms_side=800,
    ),
}
