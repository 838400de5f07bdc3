"""Usage errors in the user's language: a missing argument, an unknown option or command.

Click (which Typer carries) writes them in English, and before any command has run, so
the language comes from the command line itself. Read by the errors' documented
attributes, not their classes: those live in a module Typer keeps private.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from jxc.config import Settings, normalize_locale
from jxc.i18n.messages import translate

_NO_SUCH_COMMAND = re.compile(
    r"No such command '(?P<name>[^']+)'\.(?: Did you mean (?P<like>.+)\?)?"
)
_EXTRA = re.compile(r"Got unexpected extra argument(?:\(s\)|s)? \((?P<arguments>.*)\)")
_NOT_A_CHOICE = re.compile(r"'(?P<value>.*)' is not one of (?P<choices>.+?)\.?$")
# Typer checks option values with pydantic: its error types, and the bound each names.
_BOUNDS = {
    "greater_than_equal": ("cli.value_at_least", "ge"),
    "greater_than": ("cli.value_above", "gt"),
    "less_than_equal": ("cli.value_at_most", "le"),
    "less_than": ("cli.value_below", "lt"),
}
_NOT_NUMBERS = {"int_parsing", "int_from_float", "float_parsing", "decimal_parsing"}
USAGE_EXIT_CODE = 2


def locale_of(args: Sequence[str]) -> str:
    """The language asked for on the command line (``--lang``), else the settings' one."""
    for index, arg in enumerate(args):
        asked = arg.removeprefix("--lang=") if arg.startswith("--lang=") else None
        if arg == "--lang" and index + 1 < len(args):
            asked = args[index + 1]
        if asked:
            try:
                return normalize_locale(asked)
            except ValueError:
                break
    return Settings().lang


def is_usage_error(error: Exception) -> bool:
    return getattr(error, "exit_code", None) == USAGE_EXIT_CODE and hasattr(error, "message")


def usage_message(error: Any, locale: str) -> str:
    """What went wrong, named in ``locale``; Click's own words where it gives no more."""
    kind = type(error).__name__
    param = getattr(error, "param", None)
    if kind == "MissingParameter" and param is not None:
        role = "argument" if param.param_type_name == "argument" else "option"
        name = param.name if role == "argument" else param.opts[0]
        return translate(f"cli.missing_{role}", locale, name=name)
    if kind == "NoSuchOption":
        like = sorted(error.possibilities or ())
        message = translate("cli.no_such_option", locale, name=error.option_name)
        return message + (
            translate("cli.did_you_mean", locale, options=", ".join(like)) if like else ""
        )
    hint = getattr(error, "param_hint", None)
    if hint or param is not None:
        options: Any = hint if hint else param.opts if param is not None else []
        name = options if isinstance(options, str) else "/".join(options)
        return translate("cli.bad_value", locale, name=name, reason=_reason(error, locale))
    found = _NO_SUCH_COMMAND.match(error.message)
    if found:
        message = translate("cli.no_such_command", locale, name=found["name"])
        suggested = found["like"]
        return message + (
            translate("cli.did_you_mean", locale, options=suggested) if suggested else ""
        )
    found = _EXTRA.match(error.message)
    if found:
        return translate("cli.extra_arguments", locale, arguments=found["arguments"])
    return str(error.message)


def _reason(error: Any, locale: str) -> str:
    """Why a value was refused, in ``locale``: from the pydantic error Typer raised it for."""
    cause = error.__cause__
    problems = cause.errors() if callable(getattr(cause, "errors", None)) else []
    if not problems:
        return str(error.message)
    problem = problems[0]
    kind, value, context = problem["type"], problem.get("input"), problem.get("ctx") or {}
    if kind in _BOUNDS and _BOUNDS[kind][1] in context:
        code, bound = _BOUNDS[kind]
        return translate(code, locale, value=value, limit=context[bound])
    if kind in _NOT_NUMBERS:
        return translate("cli.value_not_a_number", locale, value=value)
    found = _NOT_A_CHOICE.search(str(context.get("error", "")))
    if found:
        return translate("cli.value_not_a_choice", locale, **found.groupdict())
    return str(error.message)


def help_hint(error: Any, locale: str) -> str:
    context = getattr(error, "ctx", None)
    command = context.command_path if context is not None else "jxc"
    return translate("cli.see_help", locale, command=command)
