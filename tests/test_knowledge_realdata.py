"""The knowledge index on real third-party model cards, read in place from the realdata folder."""

from __future__ import annotations

from pathlib import Path

from knowledge import KnowledgeIndex

CARDS = (
    "openai__gpt-2__model_card.md",
    "Almouhannad__xai-med-classifier__docs_model_card.md",
    "3289960996-hub__MRI-BrainTumor-Classification__MODEL_CARD.md",
)


def test_known_questions_find_their_cards(realdata: Path, tmp_path: Path) -> None:
    docs = realdata / "docs"
    with KnowledgeIndex(tmp_path / "index") as index:
        for card in CARDS:
            index.index_path(docs / card)

        gpt2 = index.search("What data was GPT-2 trained on?")
        tumor = index.search("Which classes can the brain tumor classifier predict?")
        off_topic = index.search("What is the capital of France?")

    assert Path(gpt2[0].source).name == "openai__gpt-2__model_card.md"
    assert any("45 million links" in passage.text for passage in gpt2)
    assert Path(tumor[0].source).name == CARDS[2]
    assert any("glioma, meningioma, notumor, pituitary" in passage.text for passage in tumor)
    assert off_topic == []
