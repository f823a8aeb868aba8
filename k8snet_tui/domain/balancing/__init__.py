"""LoadBalancer Services: who allocated the address, which node answers for it, and how the
traffic spreads over the nodes and then over the pods (the lab's step 5, "Load Balancing")."""

from __future__ import annotations

from .build import BalancePlan, balance_service, balancing_overview, load_balancers, plan_service
from .model import Allocation, Announce, Balance, NodeSpread, PodShare, PoolLine, PortSpread, ServiceLine, Simulation
from .simulate import simulate

__all__ = ["Allocation", "Announce", "Balance", "BalancePlan", "NodeSpread", "PodShare", "PoolLine", "PortSpread",
           "ServiceLine", "Simulation", "balance_service", "balancing_overview", "load_balancers", "plan_service",
           "simulate"]
