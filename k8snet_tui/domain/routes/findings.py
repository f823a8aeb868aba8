"""What the routes domain has to say about a cluster's routing, as data a pane can list."""

from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"
INFO = "info"


@dataclass(frozen=True)
class Finding:
    """One problem or remark. `code` is stable so screens and tests can key on it; `message` is prose."""

    severity: str
    code: str
    subject: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"severity": self.severity, "code": self.code, "subject": self.subject, "message": self.message}


def dedupe(findings: list[Finding] | tuple[Finding, ...]) -> tuple[Finding, ...]:
    """Keep the first of each identical finding: several rules can trip over the same Service."""
    seen: set[Finding] = set()
    out: list[Finding] = []
    for f in findings:
        if f not in seen:
            seen.add(f)
            out.append(f)
    return tuple(out)
