"""The generated NLU tables stay in step with the demo catalog and retailers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from scripts import nlu_tables

ROOT = Path(__file__).resolve().parents[2]


def test_generated_tables_match_what_the_seed_data_produces() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scripts.nlu_tables", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout) == (0, "")


def test_retailer_short_forms_and_english_names_are_synonyms_of_the_shop() -> None:
    synonyms = nlu_tables.retailer_synonyms(
        [
            {"name": "张记烟酒", "owner": "张伟", "name_en": "Zhang's Tobacco & Liquor"},
            {"name": "李姐便利店", "owner": "李秀英", "name_en": "Sister Li's Convenience Store"},
            {"name": "老刘副食店", "owner": "刘建华", "name_en": "Lao Liu's Grocery"},
        ]
    )
    assert synonyms == {
        "张记烟酒": ["张伟", "张记", "Zhang's Tobacco & Liquor", "Zhang's"],
        "李姐便利店": ["李秀英", "李姐", "Sister Li's Convenience Store", "Sister Li's"],
        "老刘副食店": ["刘建华", "老刘", "Lao Liu's Grocery", "Lao Liu's"],
    }


def test_bare_brand_is_a_synonym_of_its_default_spec_only() -> None:
    synonyms = nlu_tables.product_synonyms(
        [
            {
                "spec": "芙蓉王(硬)",
                "brand": "芙蓉王",
                "brand_en": "Furongwang",
                "name_en": "Furongwang (Hard)",
                "default_for_brand": True,
                "aliases": ["硬芙"],
            },
            {
                "spec": "芙蓉王(软蓝)",
                "brand": "芙蓉王",
                "brand_en": "Furongwang",
                "name_en": "Furongwang (Soft Blue)",
                "aliases": ["蓝芙"],
            },
        ]
    )
    assert synonyms == {
        "芙蓉王(硬)": ["芙蓉王硬", "Furongwang (Hard)", "硬芙", "芙蓉王", "Furongwang"],
        "芙蓉王(软蓝)": ["芙蓉王软蓝", "Furongwang (Soft Blue)", "蓝芙"],
    }
