"""`jxc --help` in the user's language.

Typer and Click write help in English. Every help text of the command tree is a msgid of
the catalogue (``tools/update_catalogues.py`` collects them with ``texts``). Before a
command line is handled, the tree Typer built for it gets its texts translated, and the
help Click formats gets its own few words (Usage, Options, [required] …) translated too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from typer import Context

from jxc.i18n.messages import catalogue

# Click's own words in the help it formats: headings, found at the start of a line, and
# the notes after an option, found as written.
HEADINGS = ("Usage:", "Arguments:", "Options:", "Commands:")
NOTES = ("[required]", "[env var: ", "[default: ")
HELP_OPTION = "Show this message and exit."
CLICK_WORDS = (*HEADINGS, *NOTES, HELP_OPTION)
_HEADING = re.compile(r"^(\s*)(Usage:|Arguments:|Options:|Commands:)( ?)", re.MULTILINE)
# Click wraps a note across lines where it must: "[env var:" may end one.
_NOTE = re.compile(r"\[required\]|\[env var:\s+|\[default:\s+")


def _commands(command: Any, context: Context) -> Iterator[tuple[Any, Context]]:
    yield command, context
    if hasattr(command, "list_commands"):
        for name in command.list_commands(context):
            sub = command.get_command(context, name)
            if sub is not None:
                yield from _commands(sub, Context(sub, parent=context, info_name=name))


def _holders(root: Any) -> Iterator[Any]:
    """Every command and parameter of the tree under ``root``."""
    for command, _ in _commands(root, Context(root, info_name="jxc")):
        yield command
        yield from command.params


def texts(root: Any) -> Iterator[str]:
    """Every help text of the tree, for the catalogue."""
    for holder in _holders(root):
        for attribute in ("help", "short_help"):
            text = getattr(holder, attribute, None)
            if text:
                yield text


def speak(root: Any, locale: str) -> None:
    """Translate the help of the tree under ``root`` (built for this command line) in place."""
    words = catalogue(locale)
    if not any(words.values()):
        return  # English: the texts as written
    for holder in _holders(root):
        for attribute in ("help", "short_help"):
            text = getattr(holder, attribute, None)
            if text:
                setattr(holder, attribute, words.get(text) or text)
        if hasattr(holder, "get_help"):
            holder.get_help = _translating(holder, words)


def _translating(command: Any, words: dict[str, str]) -> Any:
    formatted = command.get_help

    def said(english: str) -> str:
        return words.get(english) or english

    def get_help(context: Context) -> str:
        text: str = formatted(context)
        text = _HEADING.sub(lambda found: _heading(said(found.group(2)), found), text)
        text = _NOTE.sub(lambda found: said(_written(found.group(0))), text)
        return text.replace(HELP_OPTION, said(HELP_OPTION))

    return get_help


def _heading(said: str, found: re.Match[str]) -> str:
    """A heading as said, followed by the space Click wrote only if it ends in ":"."""
    return found.group(1) + said + (found.group(3) if said.endswith(":") else "")


def _written(note: str) -> str:
    """A note as Click writes it unwrapped: its msgid."""
    return re.sub(r"\s+$", " ", note) if note.endswith((" ", "\n")) else note
