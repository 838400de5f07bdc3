"""Reading scans: plain codes, GS1 codes raw or human-readable, and what is refused."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jxc.domain.barcodes import ScannedCode, ean13, read_barcode
from jxc.domain.errors import Invalid
from jxc.i18n.messages import translate


def test_a_plain_code_is_looked_up_as_typed():
    assert read_barcode("  6901234567892 \n") == ScannedCode(("6901234567892",))
    assert read_barcode("LS-001") == ScannedCode(("LS-001",))


@pytest.mark.parametrize(
    "scanned",
    [
        "010690123456789210B2611\x1d17271231\x1d3012",  # raw, GS between elements
        "]C1010690123456789210B2611\x1d17271231\x1d3012",  # with its symbology prefix
        "(01)06901234567892(10)B2611(17)271231(30)12",  # as a keyboard wedge types it
    ],
)
def test_a_gs1_code_gives_the_printed_ean_its_batch_expiry_and_count(scanned):
    read = read_barcode(scanned)

    assert read.codes == ("6901234567892", "06901234567892")
    assert (read.batch, read.expiry_date, read.quantity) == ("B2611", date(2027, 12, 31), 12)
    assert read.serial is None


def test_a_gs1_code_carries_a_serial():
    assert read_barcode("(01)06901234567892(21)SN-0042").serial == "SN-0042"


@pytest.mark.parametrize(
    ("scanned", "code"),
    [
        ("", "barcode.empty"),
        ("   ", "barcode.empty"),
        ("1" * 201, "barcode.too_long"),
        ("(01)06901234567893(10)B1", "barcode.gs1_check_digit"),
        ("]C10106901234567893", "barcode.gs1_check_digit"),  # prefixed: must read as GS1
        ("(10)B2611", "barcode.gs1_gtin_missing"),
        ("(01)06927340151909(30)-1", "barcode.gs1_ai_invalid"),
        ("(99", "barcode.gs1_invalid"),
    ],
)
def test_what_cannot_be_read_is_refused_naming_why(scanned, code):
    with pytest.raises(Invalid) as refused:
        read_barcode(scanned)

    assert refused.value.code == code


def test_why_a_gs1_code_does_not_read_is_said_in_chinese_without_the_librarys_english():
    with pytest.raises(Invalid) as refused:
        read_barcode("(01)06927340151909(30)-1")
    said = translate(refused.value.code, "zh_CN", **refused.value.params)
    assert said == "(01)06927340151909(30)-1 不是有效的 GS1 条码：-1 不符合应用标识符 (30) 的格式"


def test_ean13_adds_the_check_digit():
    assert ean13("690123456789") == "6901234567892"
    with pytest.raises(ValueError, match="twelve digits"):
        ean13("69012345678")


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_every_ean13_made_here_reads_back_through_gs1(digits):
    code = ean13(digits)

    assert read_barcode(f"(01)0{code}").codes[0] == code
    assert read_barcode(code).codes == (code,)


def test_a_code_typed_in_full_width_by_an_input_method_reads_as_half_width():
    assert read_barcode("６９０１２３４５６７８９２").codes == (
        "6901234567892",
        "６９０１２３４５６７８９２",
    )
    assert read_barcode("杯子（大）").codes == ("杯子(大)", "杯子（大）")  # also as typed
    scanned = read_barcode("（０１）０６９０９８７６５４３２１２（１０）Ｂ２６１１")
    assert (scanned.codes[0], scanned.batch) == ("6909876543212", "B2611")
