"""Draw the portal's app icons (a town hall on the Kreis blue) into ``portal/static/portal/icons``.

Run once after changing the design; the PNGs and the SVG are committed, so nothing is drawn at run time:

    SECRET_KEY=x .venv/bin/python manage.py make_pwa_icons
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand
from PIL import Image, ImageDraw

ICON_DIR = Path(__file__).resolve().parents[2] / "static" / "portal" / "icons"
BACKGROUND = "#004b87"
FOREGROUND = "#ffffff"
SUPERSAMPLE = 4

# The pictogram in a 100 × 100 box: roof, architrave, four columns and two steps.
Polygon = list[tuple[float, float]]
ROOF: Polygon = [(18, 40), (50, 18), (82, 40)]
RECTANGLES: list[tuple[float, float, float, float]] = [
    (21, 43, 79, 48),  # architrave
    (25, 51, 33, 71),  # columns
    (38, 51, 46, 71),
    (54, 51, 62, 71),
    (67, 51, 75, 71),
    (19, 73, 81, 78),  # steps
    (14, 80, 86, 85),
]


def _scaled(points: Polygon, scale: float, size: int) -> Polygon:
    """Scale around the centre of the box (``scale`` < 1 shrinks into the maskable safe zone)."""
    return [((50 + (x - 50) * scale) * size / 100, (50 + (y - 50) * scale) * size / 100) for x, y in points]


def draw_png(size: int, *, maskable: bool = False, rounded: bool = True) -> Image.Image:
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable or not rounded:
        draw.rectangle((0, 0, big, big), fill=BACKGROUND)
    else:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 0.18, fill=BACKGROUND)
    # Maskable icons may be cut to a circle of 80 % diameter: keep the pictogram well inside it.
    scale = 0.62 if maskable else 0.9
    draw.polygon(_scaled(ROOF, scale, big), fill=FOREGROUND)
    for x0, y0, x1, y1 in RECTANGLES:
        (ax, ay), (bx, by) = _scaled([(x0, y0), (x1, y1)], scale, big)
        draw.rectangle((ax, ay, bx, by), fill=FOREGROUND)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def svg() -> str:
    def pts(points: Polygon) -> str:
        return " ".join(f"{x:g},{y:g}" for x, y in _scaled(points, 0.9, 100))

    shapes = [f'<polygon points="{pts(ROOF)}"/>']
    for x0, y0, x1, y1 in RECTANGLES:
        (ax, ay), (bx, by) = _scaled([(x0, y0), (x1, y1)], 0.9, 100)
        shapes.append(f'<rect x="{ax:g}" y="{ay:g}" width="{bx - ax:g}" height="{by - ay:g}"/>')
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" role="img" aria-label="Bürgerbüro">'
        f'<rect width="100" height="100" rx="18" fill="{BACKGROUND}"/>'
        f'<g fill="{FOREGROUND}">{"".join(shapes)}</g></svg>\n'
    )


class Command(BaseCommand):
    help = "Draw the PWA icons of the portal (PNG 192/512, maskable 512, apple-touch 180, SVG)."

    def handle(self, *args: Any, **options: Any) -> None:
        ICON_DIR.mkdir(parents=True, exist_ok=True)
        outputs = {
            "icon-192.png": draw_png(192),
            "icon-512.png": draw_png(512),
            "icon-maskable-512.png": draw_png(512, maskable=True),
            # iOS rounds the corners itself and shows transparency as black.
            "apple-touch-icon.png": draw_png(180, rounded=False).convert("RGB"),
        }
        for name, image in outputs.items():
            image.save(ICON_DIR / name, optimize=True)
            self.stdout.write(f"wrote {ICON_DIR / name}")
        (ICON_DIR / "icon.svg").write_text(svg(), encoding="utf-8")
        self.stdout.write(f"wrote {ICON_DIR / 'icon.svg'}")
