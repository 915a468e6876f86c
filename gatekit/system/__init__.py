"""The small toolkit under every domain: processes, locks and atomic files, durations.

One home per primitive, so a fix (an fsync, a pid-reuse check) reaches every caller.
"""
