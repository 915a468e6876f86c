"""How long something took or how old it is, as people read it."""

from __future__ import annotations


def format_duration(seconds: float) -> str:
    """A gate's run time: tenths of a second under a minute, then 1m05s, then 1h02m."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def format_age(seconds: float | None) -> str:
    """An age in a table cell: its largest whole unit (3d, 5h, 12m, 40s); "-" when unknown."""
    if seconds is None:
        return "-"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"
