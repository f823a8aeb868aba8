"""Routes into the cluster: entry points, the route table (Ingress, Emissary, Gateway API) and a tester."""

from .entries import EntryPoint
from .findings import Finding
from .rules import RouteRule
from .table import RouteTable, build_route_table
from .tester import Candidate, Match, RouteResult, route_url
from .urls import ParsedUrl, UrlError, parse_url
from .view import IngressView, build_ingress_view

__all__ = [
    "Candidate", "EntryPoint", "Finding", "IngressView", "Match", "ParsedUrl", "RouteResult", "RouteRule",
    "RouteTable", "UrlError", "build_ingress_view", "build_route_table", "parse_url", "route_url",
]
