"""Outcome-framework measures.

The frameworks, Fingertips exports and the council's own measures, their loading, the series the pages read and
the tartan rug.
"""
