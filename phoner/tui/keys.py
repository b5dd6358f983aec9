"""Textual's own words in the phoner's language: the keys panel, key names, the palette.

Textual's built-in bindings (focus next, copy selected text, the Input's cursor keys …)
carry English descriptions, and some bindings none at all. Before the keys panel draws the
bindings of the focused widget's chain, :func:`localize_chain` gives each description
its catalog text (``sys.*`` keys, made from the English by :func:`catalog_key`) and hides
a binding without a description (Textual's ``system`` flag: the panel leaves it out), so
the panel never shows a bare key or an English word. :func:`key_display` names the keys
(``Skift+Tab``, ``Esc``, arrows) of the bindings the footer does not show (the footer's
keys keep Textual's short forms, ``^p``, ``esc``).
"""

from __future__ import annotations

import dataclasses
import re

from rich.align import Align
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import CommandList, CommandPalette
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import HelpPanel, KeyPanel, Markdown
from textual.widgets.option_list import Option

from phoner.tui.i18n import has_key, t

#: The English texts of Textual's built-in bindings, tooltips and binding group titles
#: that have a catalog entry (``catalog_key(text)``).
TEXTUAL_TEXTS: frozenset[str] = frozenset(
    text
    for text in (
        "Focus Next",
        "Focus Previous",
        "Focus Prev",
        "Copy selected text",
        "Cut selected text",
        "Paste text from the clipboard",
        "Quit",
        "Quit the app and return to the command prompt.",
        "palette",
        "Open the command palette",
        "Exit the command palette",
        "Next command",
        "Previous command",
        "Next page",
        "Previous page",
        "Go to top",
        "Go to bottom",
        "Delete all to the left",
        "Delete all to the right",
        "Delete character left",
        "Delete character right",
        "Delete left to start of word",
        "Delete right to start of word",
        "Delete line",
        "Delete to line end",
        "Delete to line start",
        "Go to end",
        "Go to start",
        "Move cursor left",
        "Move cursor left a word",
        "Move cursor left a word and select",
        "Move cursor left and select",
        "Move cursor right a word",
        "Move cursor right a word and select",
        "Move cursor right and select",
        "Move cursor right or accept the completion suggestion",
        "Select all",
        "Select line end",
        "Select line start",
        "Select line",
        "Submit",
        "Select",
        "Show menu",
        "Press button",
        "Toggle",
        "Toggle option",
        "Next option",
        "Previous option",
        "Cursor up",
        "Cursor down",
        "Cursor left",
        "Cursor right",
        "Cursor Up",
        "Cursor Down",
        "Cursor up select",
        "Cursor down select",
        "Cursor left select",
        "Cursor right select",
        "Cursor left word select",
        "Cursor right word select",
        "Cursor word left",
        "Cursor word right",
        "Cursor line end",
        "Cursor line end select",
        "Cursor line start",
        "Cursor line start select",
        "Cursor page down",
        "Cursor page up",
        "Copy",
        "Cut",
        "Paste",
        "Undo",
        "Redo",
        "Up",
        "Down",
        "First",
        "Last",
        "Top",
        "Bottom",
        "Home",
        "End",
        "Page up",
        "Page down",
        "Page Up",
        "Page Down",
        "Page Left",
        "Page Right",
        "Scroll Up",
        "Scroll Down",
        "Scroll Left",
        "Scroll Right",
        "Scroll Home",
        "Scroll End",
        "Next tab",
        "Previous tab",
        "Input",
    )
)


def catalog_key(text: str) -> str:
    """The catalog key of one of Textual's English texts: ``"Focus Next"`` -> ``sys.focus_next``."""
    return "sys." + re.sub(r"\W+", "_", text.lower()).strip("_")


def _localized(text: str) -> str:
    if has_key(text):
        return t(text)
    if text in TEXTUAL_TEXTS:
        return t(catalog_key(text))
    return text


def localize(node: DOMNode) -> None:
    """Give ``node``'s bindings (and its binding group title) the catalog's words; hide a
    binding without a description from the keys panel. Idempotent."""
    bindings = node._bindings
    for key, items in bindings.key_to_bindings.items():
        bindings.key_to_bindings[key] = [_binding(b) for b in items]
    title = node.BINDING_GROUP_TITLE
    if title and title in TEXTUAL_TEXTS:
        node.BINDING_GROUP_TITLE = t(catalog_key(title))


def _binding(b: Binding) -> Binding:
    description = _localized(b.description)
    tooltip = _localized(b.tooltip) if b.tooltip else b.tooltip
    return dataclasses.replace(
        b,
        description=description,
        tooltip=tooltip,
        system=b.system or not description.strip(),
        # the keys panel's own keys get Danish names; the footer's stay as they are
        key_display=b.key_display if b.show or _in_footer(b) else key_display(b, "") or None,
    )


def _in_footer(b: Binding) -> bool:
    """The command palette's key is shown in the footer although it is not ``show``n."""
    return b.action in ("command_palette", "app.command_palette")


def localize_chain(screen: Screen[object]) -> None:
    """Localize every node whose bindings are active on ``screen`` (the focused widget and
    its ancestors, the screen and the app)."""
    focused = screen.focused
    nodes = list(focused.ancestors_with_self) if focused is not None else [screen, screen.app]
    for node in nodes:
        localize(node)


#: The keys the catalog names (``key.<name>``): modifiers and the keys without a letter.
_NAMED_KEYS = frozenset(
    [
        "shift",
        "ctrl",
        "alt",
        "super",
        "escape",
        "enter",
        "tab",
        "space",
        "backspace",
        "delete",
        "insert",
        "home",
        "end",
        "pageup",
        "pagedown",
        "left",
        "right",
        "up",
        "down",
    ]
)


def key_display(binding: Binding, default: str) -> str:
    """How the keys panel and the footer write ``binding``'s key (``default``: Textual's)."""
    if binding.key_display:
        return binding.key_display
    modifiers, key = binding.parse_key()
    if not modifiers and key not in _NAMED_KEYS:
        return default  # a letter, a digit, F2 … ("": Textual's own display)
    names = [t(f"key.{m}") if m in _NAMED_KEYS else m.capitalize() for m in modifiers]
    if key in _NAMED_KEYS:
        names.append(t(f"key.{key}"))
    else:
        names.append(key.upper() if len(key) == 1 else key)
    return "+".join(names)


class PhonerKeyPanel(KeyPanel):
    """Textual's keys panel, with the bindings in the phoner's words."""

    def compose(self) -> ComposeResult:
        # composed on mount and again whenever the screen's bindings change (focus moves)
        localize_chain(self.screen)
        yield from super().compose()


class PhonerHelpPanel(HelpPanel):
    """Textual's help panel with :class:`PhonerKeyPanel`."""

    def compose(self) -> ComposeResult:
        yield Markdown(id="widget-help")
        yield PhonerKeyPanel(id="keys-help")


class PhonerCommandPalette(CommandPalette):
    """Textual's command palette with "No matches found" in the catalog's words."""

    def _start_no_matches_countdown(self, search_value: str) -> None:
        # Textual's own method (textual/command.py), with the one English text replaced.
        self._stop_no_matches_countdown()

        def _show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(
                        Align.center(Text(t("pal.no_matches"), style="not bold")),
                        disabled=True,
                        id=self._NO_MATCHES,
                    )
                )
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, _show_no_matches)
