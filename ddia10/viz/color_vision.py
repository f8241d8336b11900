"""How the book's colours look to readers with a colour vision deficiency.

The players tell roles apart by colour (leader, candidate, follower, crashed
...), so the role colours of :mod:`.style` must stay apart for every reader.
This module simulates the three dichromacies with the matrices of Machado,
Oliveira and Fernandes (2009) at full severity, applied to linear sRGB, and
measures how far apart two colours are with the CIEDE2000 colour difference
(Sharma, Wu and Dalal 2005's formulation), where about 1 is "just noticeable"
and 10 is "clearly different". :func:`closest_pair` finds the two colours of
a palette that a reader with a given vision can tell apart least.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import combinations

VISIONS = ("normal", "protanopia", "deuteranopia", "tritanopia")

MACHADO_2009: dict[str, tuple[tuple[float, float, float], ...]] = {
    "protanopia": ((0.152286, 1.052583, -0.204868),
                   (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968),
                     (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779),
                   (-0.078411, 0.930809, 0.147602),
                   (0.004733, 0.691367, 0.303900)),
}
"""Machado et al.'s matrices at severity 1, for linear sRGB."""


def hex_rgb(color: str) -> tuple[float, float, float]:
    """``"#4caf50"`` as sRGB components in [0, 1]."""
    text = color.lstrip("#") if isinstance(color, str) else ""
    if len(text) != 6 or any(c not in "0123456789abcdefABCDEF" for c in text):
        raise ValueError(f"a colour is '#rrggbb', got {color!r}")
    return tuple(int(text[i:i + 2], 16) / 255 for i in (0, 2, 4))


def _linear(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _gamma(c: float) -> float:
    c = min(1.0, max(0.0, c))
    return 12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055


def simulate(color: str, vision: str) -> tuple[float, float, float]:
    """The sRGB colour a reader with ``vision`` sees for ``color``."""
    if vision not in VISIONS:
        raise ValueError(f"vision must be one of {VISIONS}, got {vision!r}")
    rgb = hex_rgb(color)
    if vision == "normal":
        return rgb
    linear = [_linear(c) for c in rgb]
    return tuple(_gamma(sum(m * c for m, c in zip(row, linear, strict=True)))
                 for row in MACHADO_2009[vision])


def lab(rgb: Sequence[float]) -> tuple[float, float, float]:
    """CIE L*a*b* (D65) of an sRGB colour."""
    r, g, b = (_linear(c) for c in rgb)
    x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047
    y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b
    z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def ciede2000(lab1: Sequence[float], lab2: Sequence[float]) -> float:
    """The CIEDE2000 difference of two L*a*b* colours (kL = kC = kH = 1)."""
    (l1, a1, b1), (l2, a2, b2) = lab1, lab2
    c_bar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_bar ** 7 / (c_bar ** 7 + 25 ** 7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360 if c1p else 0.0
    h2p = math.degrees(math.atan2(b2, a2p)) % 360 if c2p else 0.0
    dl, dc = l2 - l1, c2p - c1p
    if c1p * c2p == 0:
        dh = 0.0
    elif abs(h2p - h1p) <= 180:
        dh = h2p - h1p
    else:
        dh = h2p - h1p - 360 if h2p > h1p else h2p - h1p + 360
    d_h = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dh / 2))
    l_bar, c_barp = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        h_bar = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        h_bar = (h1p + h2p) / 2
    else:
        h_bar = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (1 - 0.17 * math.cos(math.radians(h_bar - 30)) + 0.24 * math.cos(math.radians(2 * h_bar))
         + 0.32 * math.cos(math.radians(3 * h_bar + 6))
         - 0.20 * math.cos(math.radians(4 * h_bar - 63)))
    s_l = 1 + 0.015 * (l_bar - 50) ** 2 / math.sqrt(20 + (l_bar - 50) ** 2)
    s_c = 1 + 0.045 * c_barp
    s_h = 1 + 0.015 * c_barp * t
    r_t = (-2 * math.sqrt(c_barp ** 7 / (c_barp ** 7 + 25 ** 7))
           * math.sin(math.radians(60 * math.exp(-(((h_bar - 275) / 25) ** 2)))))
    return math.sqrt((dl / s_l) ** 2 + (dc / s_c) ** 2 + (d_h / s_h) ** 2
                     + r_t * (dc / s_c) * (d_h / s_h))


def difference(a: str, b: str, vision: str = "normal") -> float:
    """How different colours ``a`` and ``b`` look to a reader with ``vision``."""
    return ciede2000(lab(simulate(a, vision)), lab(simulate(b, vision)))


def closest_pair(palette: dict[str, str], vision: str) -> tuple[float, str, str]:
    """The smallest difference between two colours of ``palette`` (name -> colour)
    for ``vision``, and the two names."""
    if len(palette) < 2:
        raise ValueError("a palette needs two colours to compare")
    return min((difference(palette[x], palette[y], vision), x, y)
               for x, y in combinations(palette, 2))
