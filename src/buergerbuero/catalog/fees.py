"""Fee rules of services: validation, the fee for given answers, and a one-line description.

Pure: no ORM. A fee rule is JSON (amounts are decimal strings in EUR)::

    {"kind": "free"} | {"kind": "fixed", "amount": "37.00"} | {"kind": "range", "min": "10.00", "max": "50.00"}
    {"kind": "rules", "rules": [{"when": <condition>, "amount": "22.80", "label_de": "unter 24 Jahren",
                                 "label_en": "under 24"}], "default": "37.00"}

Any kind may carry ``note_de``/``note_en``. For ``rules`` the first rule whose
condition holds wins, else ``default``. An empty rule (``{}``) means the fee is
not known.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from buergerbuero.core.i18n import active_language

from .conditions import ConditionError, evaluate, validate_condition

__all__ = ["FeeQuote", "describe", "format_amount", "quote", "quote_range", "validate_fee"]

KINDS = ("free", "fixed", "range", "rules")
#: The largest amount a fee rule may name, in EUR.
MAX_AMOUNT = Decimal("1000000")


@dataclass(frozen=True)
class FeeQuote:
    """What a citizen pays: ``minimum`` alone for one amount, up to ``maximum`` for a range.

    ``minimum`` is ``None`` when the fee is not known.
    """

    minimum: Decimal | None
    maximum: Decimal | None
    is_free: bool
    label: str
    note: str
    language: str = "de"

    @property
    def is_known(self) -> bool:
        return self.minimum is not None

    @property
    def text(self) -> str:
        """The quote for display: "22,80 €", "10,00 € bis 50,00 €", "kostenlos"; empty when unknown."""
        if self.minimum is None:
            return ""
        with translation.override(self.language):
            return self._text(self.minimum)

    def _text(self, minimum: Decimal) -> str:
        if self.is_free:
            return _("free of charge")
        amount = format_amount(minimum, self.language)
        if self.maximum is not None and self.maximum != self.minimum:
            amount = _("%(minimum)s to %(maximum)s") % {
                "minimum": amount,
                "maximum": format_amount(self.maximum, self.language),
            }
        return f"{amount} ({self.label})" if self.label else amount

    def __str__(self) -> str:
        return self.text


def format_amount(amount: Decimal, language: str | None = None) -> str:
    """``amount`` in EUR as the language writes it: "1.234,50 €" in German, "€1,234.50" in English."""
    language = language or active_language()
    grouped = f"{amount.quantize(Decimal('0.01')):,.2f}"
    if language == "en":
        return f"€{grouped}"
    return grouped.replace(",", "\x00").replace(".", ",").replace("\x00", ".") + " €"


def _amount(value: Any) -> Decimal:
    """A valid amount: a non-negative decimal with at most two places; ``ValueError`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(value)
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as error:
        raise ValueError(value) from error
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT or amount != amount.quantize(Decimal("0.01")):
        raise ValueError(value)
    return amount


def _text(item: dict[str, Any], field: str, language: str) -> str:
    own = item.get(f"{field}_{language}") if language != "de" else ""
    value = own or item.get(f"{field}_de") or ""
    return value if isinstance(value, str) else ""


def validate_fee(fee: Any, questions: Any) -> None:
    """Check a fee rule; rule conditions are checked against ``questions``. Raises :class:`ConditionError`."""
    if fee is None or fee == {}:
        return
    if not isinstance(fee, dict):
        raise ConditionError(_("A fee rule must be an object."))
    kind = fee.get("kind")
    if kind not in KINDS:
        raise ConditionError(_("Unknown fee kind; use free, fixed, range or rules."))
    for field in ("note_de", "note_en"):
        if field in fee and not isinstance(fee[field], str):
            raise ConditionError(_("The fee note must be text."))
    if kind == "fixed":
        _check_amount(fee, "amount")
    elif kind == "range":
        minimum, maximum = _check_amount(fee, "min"), _check_amount(fee, "max")
        if minimum > maximum:
            raise ConditionError(_("The lowest fee is higher than the highest fee."))
    elif kind == "rules":
        rules = fee.get("rules")
        if not isinstance(rules, list) or not rules:
            raise ConditionError(_("A fee with rules needs at least one rule."))
        for number, rule in enumerate(rules, start=1):
            if not isinstance(rule, dict):
                raise ConditionError(_("Fee rule %(number)d must be an object.") % {"number": number})
            try:
                validate_condition(rule.get("when"), questions)
            except ConditionError as error:
                raise ConditionError(
                    _("Fee rule %(number)d: %(error)s") % {"number": number, "error": error}
                ) from error
            _check_amount(rule, "amount", number)
            for field in ("label_de", "label_en"):
                if field in rule and not isinstance(rule[field], str):
                    raise ConditionError(_("Fee rule %(number)d: the label must be text.") % {"number": number})
        _check_amount(fee, "default")


def _check_amount(item: dict[str, Any], field: str, rule: int | None = None) -> Decimal:
    try:
        return _amount(item.get(field))
    except ValueError:
        message = _("“%(field)s” must be an amount in euros such as 37.00.") % {"field": field}
        if rule is not None:
            message = _("Fee rule %(number)d: %(error)s") % {"number": rule, "error": message}
        raise ConditionError(message) from None


def _unknown(language: str) -> FeeQuote:
    return FeeQuote(minimum=None, maximum=None, is_free=False, label="", note="", language=language)


def _make(minimum: Decimal, maximum: Decimal | None, label: str, fee: dict[str, Any], language: str) -> FeeQuote:
    return FeeQuote(
        minimum=minimum,
        maximum=maximum,
        is_free=minimum == 0 and not maximum,
        label=label,
        note=_text(fee, "note", language),
        language=language,
    )


def quote(fee: Any, answers: dict[str, Any], language: str | None = None) -> FeeQuote:
    """The fee for ``answers``; for ``rules`` the first matching rule's amount and label, else the default.

    A rule that is not valid quotes as "not known" rather than failing the page.
    """
    language = language or active_language()
    if not isinstance(fee, dict) or not fee:
        return _unknown(language)
    try:
        kind = fee.get("kind")
        if kind == "free":
            return _make(Decimal(0), None, "", fee, language)
        if kind == "fixed":
            return _make(_amount(fee.get("amount")), None, "", fee, language)
        if kind == "range":
            return _make(_amount(fee.get("min")), _amount(fee.get("max")), "", fee, language)
        if kind == "rules":
            for rule in fee.get("rules") or []:
                if evaluate(rule.get("when"), answers):
                    return _make(_amount(rule.get("amount")), None, _text(rule, "label", language), fee, language)
            return _make(_amount(fee.get("default")), None, "", fee, language)
    except (ValueError, AttributeError, TypeError):  # ConditionError is a ValueError
        return _unknown(language)
    return _unknown(language)


def quote_range(fee: Any, language: str | None = None) -> FeeQuote:
    """The span of every amount ``fee`` can come to, for when the answers are not (yet) complete."""
    language = language or active_language()
    if isinstance(fee, dict) and fee.get("kind") == "rules":
        try:
            amounts = [_amount(rule.get("amount")) for rule in fee.get("rules") or []]
            amounts.append(_amount(fee.get("default")))
        except (ValueError, AttributeError):
            return _unknown(language)
        low, high = min(amounts), max(amounts)
        return _make(low, high if high != low else None, "", fee, language)
    return quote(fee, {}, language)


def describe(fee: Any, language: str | None = None) -> str:
    """One line for a fee rule: "37,00 €", "10,00 € bis 50,00 €", "kostenlos",
    "22,80 € (unter 24 Jahren) oder 37,00 €"; the note follows after a semicolon. Empty when unknown."""
    language = language or active_language()
    if not isinstance(fee, dict) or not fee:
        return ""
    with translation.override(language):
        text = _describe(fee, language)
    note = _text(fee, "note", language)
    return f"{text}; {note}" if text and note else text


def _describe(fee: dict[str, Any], language: str) -> str:
    if fee.get("kind") == "rules":
        try:
            parts = [
                _make(_amount(rule.get("amount")), None, _text(rule, "label", language), fee, language).text
                for rule in fee.get("rules") or []
            ]
            parts.append(format_amount(_amount(fee.get("default")), language))
        except (ValueError, AttributeError):
            return ""
        return _("%(first)s or %(last)s") % {"first": ", ".join(parts[:-1]), "last": parts[-1]}
    return quote(fee, {}, language).text
