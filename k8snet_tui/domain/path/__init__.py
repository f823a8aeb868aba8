""""Can this pod reach that?": one diagnosis from a pod, a node or an outside client to a name,
an address or a URL, hop by hop (dns, service, endpoints, port, datapath, network, policy,
route). Pure: the state in, typed frozen results out.

    d = diagnose(observed, "default/client", "website:80")
    d.first_failure.hop, d.first_failure.fix, [h.verdict for h in d.hops]
"""

from .check import check_target, compare
from .diagnose import diagnose
from .model import (
    FAIL,
    KINDS,
    OK,
    UNKNOWN,
    Diagnosis,
    Endpoint,
    Evidence,
    Hop,
    LiveCheck,
    PathInputError,
    Target,
)
from .target import parse_destination, parse_source

__all__ = ["FAIL", "KINDS", "OK", "UNKNOWN", "Diagnosis", "Endpoint", "Evidence", "Hop", "LiveCheck",
           "PathInputError", "Target", "check_target", "compare", "diagnose", "parse_destination", "parse_source"]
