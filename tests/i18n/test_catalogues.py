"""Every message exists in both languages, with the same placeholders."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import string
from pathlib import Path

import pytest
import typer
from pydantic import BaseModel

from jxc import services
from jxc.cli import helptext
from jxc.cli.main import app
from jxc.domain.errors import Invalid
from jxc.domain.workflow import DOCUMENT_TYPES, NotBy
from jxc.i18n.messages import ERRORS, LOCALES, MESSAGES, catalogue, listed, translate
from jxc.services import partners
from jxc.services.base import parse
from jxc.services.workflows import SHIPPED_SETS, parse_source, shipped_source

SOURCE = Path(__file__).parents[2] / "src" / "jxc"
CODE = re.compile(r'"((?:[a-z_]+)\.(?:[a-z_]+))"')
# Operation names of request ids, outbox topics and permission ids, not message codes.
NOT_MESSAGES = re.compile(
    r"^(documents|catalog|users|periods|workflows|partners|orders|deliveries|stocktakes"
    r"|replenishment)\.[a-z_]+$"
    r"|^document\.(step|overdue)$|^stock\.alert$"  # outbox topics
    r"|^[a-z_]+\.(id|create|post|receive|reverse|manage|read)$"
)


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def codes_raised_in_source() -> set[str]:
    found = set()
    for path in (
        list((SOURCE / "domain").rglob("*.py"))
        + list((SOURCE / "services").rglob("*.py"))
        + list((SOURCE / "queries").rglob("*.py"))
        + list((SOURCE / "db").rglob("*.py"))
    ):
        for code in CODE.findall(path.read_text(encoding="utf-8")):
            if not NOT_MESSAGES.match(code):
                found.add(code)
    return found


def test_every_code_the_source_raises_has_a_message():
    missing = sorted(codes_raised_in_source() - MESSAGES.keys())
    assert missing == []


@pytest.mark.parametrize("locale", [locale for locale in LOCALES if locale != "en"])
def test_every_message_is_translated_with_the_same_placeholders(locale):
    translations = catalogue(locale)
    untranslated = [code for code, template in MESSAGES.items() if template not in translations]
    assert untranslated == []
    mismatched = [
        code
        for code, template in MESSAGES.items()
        if placeholders(template) != placeholders(translations[template])
    ]
    assert mismatched == []


def test_messages_render_in_each_language_with_their_params():
    assert translate("item.unknown", "zh_CN", item="螺丝-M3") == "商品 螺丝-M3 不存在"
    assert translate("item.unknown", "en", item="螺丝-M3") == "Item 螺丝-M3 does not exist"


def test_chinese_messages_use_the_glossary_terms():
    chinese = catalogue("zh_CN")
    assert "红冲" in chinese[ERRORS["document.already_reversed"]]
    assert "调拨" in chinese[ERRORS["transfer.same_warehouse"]]
    assert "过账" in chinese[ERRORS["document.already_posted"]]


def test_every_step_a_shipped_workflow_takes_or_guards_against_has_a_name_in_each_language():
    named = set()
    for set_name in SHIPPED_SETS:
        for document_type in DOCUMENT_TYPES:
            for step in parse_source(shipped_source(set_name, document_type)).transitions:
                named.add(step.action)
                for guard in step.guards:
                    named.update(guard.actions if isinstance(guard, NotBy) else ())

    assert {f"permission.{name}" for name in named} <= set(MESSAGES)
    assert "「创建」" in translate(
        "workflow.same_person", "zh_CN", user="a", did="create", action="approve", number="N"
    )


def input_models() -> list[type]:
    """Every pydantic model a service parses its input with."""
    found = []
    for module in pkgutil.walk_packages(services.__path__, "jxc.services."):
        for value in vars(importlib.import_module(module.name)).values():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseModel)
                and value.__module__ == module.name
            ):
                found.append(value)
    return found


def test_every_field_a_service_reads_is_named_in_both_languages():
    unnamed = {
        f"{model.__name__}.{field}"
        for model in input_models()
        for field in model.model_fields
        if f"fieldname.{field}" not in MESSAGES
    }
    assert not unnamed
    assert translate("field.required", "zh_CN", field="username") == "用户名为必填项"


def test_a_value_not_among_the_allowed_ones_is_told_with_them():
    with pytest.raises(Invalid) as refused:
        parse(partners.PartnerIn, {"code": "P1", "name": "某公司", "kind": "vendor"})
    (problem,) = refused.value.items
    assert translate(problem.code, "zh_CN", **problem.params) == (
        "类型：vendor 不是允许的值；可用：supplier, customer, channel"
    )


def test_a_list_of_names_is_written_as_each_language_writes_one():
    assert listed(["管理员", "仓管员"], "zh_CN") == "管理员、仓管员"
    assert listed(["Admin", "Warehouse clerk"], "en") == "Admin, Warehouse clerk"


def test_every_help_text_of_the_jxc_command_is_in_the_chinese_catalogue():
    zh = catalogue("zh_CN")
    texts = [*helptext.texts(typer.main.get_command(app)), *helptext.CLICK_WORDS]
    assert len(texts) > 200
    assert [text for text in texts if not zh.get(text)] == []
