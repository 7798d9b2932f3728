"""Drivers: supply the core's Host (clock, ids, randomness, task I/O), record and replay history.

``execution`` runs one execution in process; ``runner`` starts, resumes and redrives executions
against a store; ``decider`` advances stored executions one decision at a time on the fleet.
"""
