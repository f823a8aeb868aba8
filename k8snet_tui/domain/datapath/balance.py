"""How a chain of random-probability rules splits new connections, in numbers and in words."""

from __future__ import annotations

from fractions import Fraction

from ..numbers import parse_fraction


def parse_probability(text: str | None) -> float | None:
    """iptables' `--probability 0.50000000000`; None for anything else (float() would take `٠.٥` or `nan`)."""
    return parse_fraction(text)


def shares(probabilities: list[str | None]) -> list[float]:
    """Effective share of each rule: p_k times what earlier rules left over.

    A rule without a probability (the last one, normally) takes everything left. A bad
    probability string counts as 0 so the remainder still adds up.
    """
    left = 1.0
    out = []
    for text in probabilities:
        p = 1.0 if text is None else (parse_probability(text) or 0.0)
        out.append(left * p)
        left -= left * p
    return out


def nice_fraction(p: float) -> str:
    """0.33333333349 -> "1/3" when a small fraction is that close; else the decimal."""
    if p >= 1.0:
        return "all"
    frac = Fraction(p).limit_denominator(1000)
    if frac.numerator and abs(float(frac) - p) < 1e-6:
        return f"{frac.numerator}/{frac.denominator}"
    return f"{p:.4g}"


def explain(probabilities: list[str | None]) -> str:
    """"1/3, then 1/2 of the rest, then the remainder" for kube-proxy's statistic rules."""
    if not probabilities:
        return "no endpoints"
    if len(probabilities) == 1 and probabilities[0] is None:
        return "every connection goes to the only endpoint"
    words = []
    for i, text in enumerate(probabilities):
        p = parse_probability(text)
        if text is None:
            words.append("the remainder" if i else "everything")
        elif p is None:
            words.append(f"unreadable probability {text!r}")
        elif i == 0:
            words.append(nice_fraction(p))
        else:
            words.append(f"{nice_fraction(p)} of the rest")
    if len(words) > 6:
        words = words[:3] + [f"... ({len(words) - 4} more) ..."] + words[-1:]
    return ", then ".join(words)


def explain_weights(weights: list[int], how: str) -> str:
    total = sum(w for w in weights if w > 0)
    if not weights:
        return "no endpoints"
    if total == 0:
        return "every weight is 0: no new connections are sent"
    if len(set(weights)) == 1:
        return f"{how}: 1/{len(weights)} each"
    return f"{how} by weight " + ", ".join(f"{w}/{total}" for w in weights)
