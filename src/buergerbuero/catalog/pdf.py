"""PDF documents of the catalogue (the printable checklist), rendered with WeasyPrint from a template.

The document is self-contained: its stylesheet is part of the template and fonts come
from the system (DejaVu on Debian), so rendering never fetches anything. Any URL the
template might still reference is refused rather than loaded.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string

__all__ = ["PdfResourceRefused", "render_pdf"]


class PdfResourceRefused(ValueError):
    """A template asked WeasyPrint to load a URL; PDFs here use no external resources."""


def _refuse(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise PdfResourceRefused(url)


def render_pdf(template: str, context: dict[str, Any], request: HttpRequest | None = None) -> bytes:
    """``template`` rendered with ``context`` as PDF bytes."""
    # Imported late: loading Pango takes a moment and most requests need no PDF. WeasyPrint has no type hints.
    from weasyprint import HTML  # type: ignore[import-untyped]

    html = render_to_string(template, context, request=request)
    document = HTML(string=html, url_fetcher=_refuse, base_url=None)
    pdf: bytes = document.write_pdf()
    return pdf
