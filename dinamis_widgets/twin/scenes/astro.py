"""Where the sun is: elevation and azimuth for the items' metadata."""

from __future__ import annotations

import math
from datetime import datetime

__all__ = ["sun_position"]


def sun_position(when: datetime, lon: float, lat: float) -> tuple[float, float]:
    """Approximate sun elevation and azimuth (degrees, azimuth clockwise from north).

    Low-precision formulas of the Astronomical Almanac (about 0.1° here), enough for metadata.
    """
    n = when.timestamp() / 86400.0 + 2440587.5 - 2451545.0
    mean_lon = (280.460 + 0.9856474 * n) % 360.0
    anomaly = math.radians((357.528 + 0.9856003 * n) % 360.0)
    ecl_lon = math.radians(mean_lon + 1.915 * math.sin(anomaly) + 0.020 * math.sin(2 * anomaly))
    obliquity = math.radians(23.439 - 0.0000004 * n)
    ra = math.atan2(math.cos(obliquity) * math.sin(ecl_lon), math.cos(ecl_lon))
    dec = math.asin(math.sin(obliquity) * math.sin(ecl_lon))
    gmst_hours = (18.697374558 + 24.06570982441908 * n) % 24.0
    hour_angle = math.radians(gmst_hours * 15.0 + lon) - ra
    phi = math.radians(lat)
    elevation = math.asin(
        math.sin(phi) * math.sin(dec) + math.cos(phi) * math.cos(dec) * math.cos(hour_angle)
    )
    azimuth = math.atan2(
        -math.sin(hour_angle), math.tan(dec) * math.cos(phi) - math.sin(phi) * math.cos(hour_angle)
    )
    return math.degrees(elevation), math.degrees(azimuth) % 360.0
