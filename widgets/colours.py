"""perftop's colours, as Textual theme variables with their defaults.

The widgets' stylesheets name these (``$perftop-warning``) rather than colour values, so a theme may
change them (``Theme(variables={"perftop-warning": "#ff8700"})``), and each colour is set in one place.
Every default maps to a distinct ANSI colour on a 16-colour terminal, so the parts they tell apart stay
apart there; without colour (``NO_COLOR``) the widgets keep them apart by text style or by character.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

#: Variable name -> default value.
THEME_COLOURS: Mapping[str, str] = MappingProxyType(
    {
        # A figure past its warning threshold, zombies, load from 70%; and htop's red parts of the
        # meters: system CPU time and swap in use.
        "perftop-warning": "#e5484d",
        # Captions, and the IO throughput history.
        "perftop-cyan": "#29b8db",
        # User CPU time, memory in use, load below 40%, running tasks, traffic history.
        "perftop-green": "#4ec94e",
        # IRQ time, page cache, load from 40%, the %util and NUMA miss histories.
        "perftop-yellow": "#d7ba3d",
        # Nice CPU time, buffers.
        "perftop-blue": "#5c7cfa",
        # Softirq time.
        "perftop-magenta": "#c678dd",
        # Steal time.
        "perftop-teal": "#2bc3d3",
        # IO wait.
        "perftop-grey": "#7f7f7f",
    }
)


class ThemeColours:
    """Mixin for an App that shows perftop's widgets (``class MyApp(ThemeColours, App[None])``): their
    stylesheets name :data:`THEME_COLOURS`, and Textual refuses a stylesheet that names a variable it
    does not know."""

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """The App's theme variable defaults, with perftop's colours."""
        defaults: dict[str, str] = super().get_theme_variable_defaults()  # type: ignore[misc]
        return {**defaults, **THEME_COLOURS}
