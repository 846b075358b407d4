"""Machinery for big passes, shared by matching and the check run, knowing nothing of either:
columnar tables (:mod:`~monitor.compute.columns`), work in another process
(:mod:`~monitor.compute.processes`) and the garbage collector's pause (:mod:`~monitor.compute.memory`).
"""
