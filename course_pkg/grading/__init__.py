"""Notebook tooling: execute notebooks, load graded functions, build exercises, grade."""
