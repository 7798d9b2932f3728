"""A state machine as a graph (states, transitions, Catch and Retry edges, Map and Parallel
as nested groups), coloured by an execution's history; drawn by the console and ``asl graph``.

Pure: the language's model and the core's events in, data and text out.
"""

from runtime.graph.model import build_graph, rule_label
from runtime.graph.overlay import overlay

__all__ = ["build_graph", "overlay", "rule_label"]
