"""Rewrite the .po catalogues, keeping existing translations.

Their messages are jxc.i18n.messages' and the help texts of the jxc command. Run after
adding a message or a help text: python tools/update_catalogues.py; then translate the new
empty msgstr entries in src/jxc/i18n/locale/zh_CN/LC_MESSAGES/jxc.po.
"""

from __future__ import annotations

from importlib import resources

import typer
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from jxc.cli import helptext
from jxc.cli.main import app
from jxc.i18n.messages import LOCALES, MESSAGES


def update(locale: str, seed: dict[str, str] | None = None) -> None:
    path = resources.files("jxc.i18n") / "locale" / locale / "LC_MESSAGES" / "jxc.po"
    known: dict[str, str] = {}
    try:
        with open(str(path), "rb") as handle:
            known = {str(m.id): str(m.string) for m in read_po(handle) if m.id}
    except FileNotFoundError:
        pass
    catalog = Catalog(locale=locale, project="jxc", domain="jxc")
    for code, template in MESSAGES.items():
        string = (seed or {}).get(code) or known.get(template, "")
        catalog.add(template, string if locale != "en" else "", auto_comments=[code])
    # jxc --help: the command tree's texts and Click's own words (cli/helptext.py).
    for text in (*helptext.texts(typer.main.get_command(app)), *helptext.CLICK_WORDS):
        if text not in catalog:
            string = known.get(text, "")
            catalog.add(text, string if locale != "en" else "", auto_comments=["cli.help"])
    with open(str(path), "wb") as handle:
        write_po(handle, catalog, width=0, omit_header=False)


if __name__ == "__main__":
    for name in LOCALES:
        update(name)
