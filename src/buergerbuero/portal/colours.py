"""Brand colours that stay readable: WCAG 2.1 relative luminance and contrast, as plain functions.

A municipality chooses any ``#rrggbb``; the portal derives from it the text colour to put on it
and a darker "ink" shade for links and headings on white, each meeting AA contrast (4.5:1).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AA_TEXT", "BrandPalette", "brand_palette", "contrast_ratio", "relative_luminance"]

#: Minimum contrast of normal-size text against its background (WCAG 2.1 SC 1.4.3).
AA_TEXT = 4.5

BLACK = "#000000"
WHITE = "#ffffff"
#: The page background of portal.css; link colours must be readable on it as well as on white.
PAGE_BACKGROUND = "#f5f6f8"


def _channels(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    if len(value) != 6:
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _hex(red: float, green: float, blue: float) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in (red, green, blue))


def relative_luminance(colour: str) -> float:
    """Relative luminance as defined by WCAG 2.1 (0 for black, 1 for white)."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(c) for c in _channels(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _mix(colour: str, other: str, share_of_other: float) -> str:
    a, b = _channels(colour), _channels(other)
    return _hex(*(x + (y - x) * share_of_other for x, y in zip(a, b, strict=True)))


@dataclass(frozen=True)
class BrandPalette:
    brand: str  #: the chosen colour, used as a background (header, buttons)
    contrast: str  #: text on ``brand``: black or white, whichever reads better (always ≥ 4.58:1)
    ink: str  #: the brand colour darkened until it reads as text on white and on the page background
    soft: str  #: a light tint of the brand for calm backgrounds; body text stays dark on it

    def as_css(self) -> str:
        return (
            ":root{"
            f"--brand:{self.brand};--brand-contrast:{self.contrast};"
            f"--brand-ink:{self.ink};--brand-soft:{self.soft}"
            "}\n"
        )


def brand_palette(colour: str) -> BrandPalette:
    """Derive the readable palette of one brand colour (``#rrggbb``, any case)."""
    brand = _hex(*_channels(colour))
    contrast = WHITE if contrast_ratio(brand, WHITE) >= contrast_ratio(brand, BLACK) else BLACK
    ink = brand
    step = 0
    while min(contrast_ratio(ink, WHITE), contrast_ratio(ink, PAGE_BACKGROUND)) < AA_TEXT:
        step += 1
        ink = _mix(brand, BLACK, step / 20)
    return BrandPalette(brand=brand, contrast=contrast, ink=ink, soft=_mix(brand, WHITE, 0.9))
