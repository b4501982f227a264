"""Markdown parsing, chunking and lexical tokenising of the knowledge index (no embeddings)."""

from __future__ import annotations

from knowledge.chunking import Chunk, chunk_document, split_sentences, text_units
from knowledge.fusion import reciprocal_rank_fusion
from knowledge.lexical import tokenize
from knowledge.markdown import parse_markdown, parse_plain_text, strip_html
from knowledge.sources import embedded_text


def chunks_of(markdown: str, **limits: int) -> list[Chunk]:
    return chunk_document(parse_markdown(markdown, default_title="doc"), **limits)


def test_front_matter_becomes_metadata() -> None:
    source = "---\ntitle: Fraud model card\nowner: risk-team\n---\n# Heading\n\nBody text here.\n"

    document = parse_markdown(source, default_title="fallback")
    text = "\n".join(chunk.text for chunk in chunk_document(document))

    assert document.front_matter == {"title": "Fraud model card", "owner": "risk-team"}
    assert document.title == "Fraud model card"
    assert "owner" not in text
    assert "risk-team" not in text
    assert "Body text here." in text


def test_front_matter_of_only_comments_is_dropped() -> None:
    # The shape of a real model card template: a YAML block holding only a comment line.
    source = "---\n#### For reference, see the spec: https://example.org\n---\n\n# Card\n\nText.\n"

    document = parse_markdown(source, default_title="fallback")
    text = "\n".join(chunk.text for chunk in chunk_document(document))

    assert document.front_matter == {}
    assert "For reference" not in text
    assert document.title == "Card"


def test_invalid_front_matter_kept_as_text() -> None:
    source = "---\ntitle: [unclosed\n---\nThe body survives.\n"

    document = parse_markdown(source, default_title="fallback")
    text = chunk_document(document)[0].text

    assert document.front_matter == {}
    assert "The body survives." in text
    assert "title: [unclosed" in text


def test_leading_thematic_break_is_not_front_matter() -> None:
    source = "---\nAn opening paragraph between rules.\n---\n\nMore text.\n"

    document = parse_markdown(source, default_title="fallback")
    text = "\n".join(chunk.text for chunk in chunk_document(document))

    assert document.front_matter == {}
    assert "An opening paragraph between rules." in text
    assert "More text." in text


def test_byte_order_mark_is_dropped() -> None:
    chunks = chunks_of("\ufeff# Fraud Detection MLOps\n\nIntro paragraph.\r\n")

    assert chunks[0].section == "Fraud Detection MLOps"
    assert "\ufeff" not in chunks[0].text
    assert "\r" not in chunks[0].text


def test_html_tags_stripped_text_kept() -> None:
    source = (
        '<p align="center">\n  <a href="https://x.org" target="_blank">Blog</a> &amp; '
        "<b>Paper</b><br>\n</p>\n\n<!-- hidden note -->\n\n"
        '# <a name="intro"></a> BERTweet: a model\n\nUses <sub>RoBERTa</sub> pre-training.\n'
    )

    chunks = chunks_of(source)
    text = "\n".join(chunk.text for chunk in chunks)

    assert "Blog & Paper" in text
    assert "<" not in text
    assert "hidden note" not in text
    assert "Uses RoBERTa pre-training." in text
    assert chunks[-1].section == "BERTweet: a model"


def test_html_inside_code_is_kept() -> None:
    source = '# Code\n\n```html\n<div class="x">kept</div>\n```\n'

    assert '<div class="x">kept</div>' in chunks_of(source)[0].text


def test_small_table_stays_whole() -> None:
    table = "| model | auc |\n|---|---|\n| ccfraud | 0.992 |\n| fakejob | 0.998 |"

    chunks = chunks_of(f"# Results\n\nIntro line.\n\n{table}\n\nAfter the table.\n")

    assert len(chunks) == 1
    assert table in chunks[0].text


def test_large_table_repeats_header() -> None:
    rows = "\n".join(f"| dataset{i} | {i / 100:.2f} | note for row {i} |" for i in range(60))
    source = f"# Benchmark\n\n| key | auc | notes |\n|---|---|---|\n{rows}\n"

    chunks = chunks_of(source, max_units=80)
    texts = [chunk.text for chunk in chunks]

    assert len(chunks) > 2
    for text in texts:
        assert "| key | auc | notes |\n|---|---|---|" in text
        assert text_units(text) <= 80
    for i in range(60):
        assert sum(f"| dataset{i} |" in text for text in texts) == 1


def test_code_fence_kept_whole_when_it_fits() -> None:
    code = "```python\nimport torch\nmodel = load()\nprint(model)\n```"

    chunks = chunks_of(f"# Usage\n\nRun this:\n\n{code}\n")

    assert code in chunks[0].text


def test_large_code_block_is_fenced_again() -> None:
    lines = "\n".join(f"step_{i} = run({i})" for i in range(120))
    source = f"# Script\n\n```python\n{lines}\n```\n"

    chunks = chunks_of(source, max_units=60)

    assert len(chunks) > 2
    for chunk in chunks:
        body = chunk.text.split("# Script\n\n")[-1]
        assert body.startswith("```python\n")
        assert body.endswith("\n```")
    joined = "\n".join(chunk.text for chunk in chunks)
    for i in range(120):
        assert f"step_{i} = run({i})" in joined


def test_list_kept_whole_when_it_fits() -> None:
    items = "- glioma\n- meningioma\n- notumor\n- pituitary"

    assert items in chunks_of(f"## Output classes\n\n{items}\n")[0].text


def test_heading_path_is_section() -> None:
    source = "# Card\n\n## Model Details\n\n### Architecture\n\nXception backbone.\n"

    chunks = chunks_of(source)

    assert chunks[-1].section == "Card > Model Details > Architecture"
    # A heading without its own body rides along with the next section.
    assert "## Model Details" in chunks[-1].text


def test_short_sections_merge() -> None:
    source = "# Card\n\n## License\n\nMIT.\n\n## Contact\n\nOpen an issue.\n"

    chunks = chunks_of(source)

    assert len(chunks) == 1
    assert "MIT." in chunks[0].text
    assert "## Contact" in chunks[0].text
    assert chunks[0].section == "Card"


def test_long_sections_do_not_merge() -> None:
    long_body = " ".join(f"word{i}" for i in range(70))
    source = f"# A\n\n{long_body}.\n\n# B\n\nShort.\n"

    sections = [chunk.section for chunk in chunks_of(source)]

    assert sections == ["A", "B"]


def test_overlap_only_when_section_splits() -> None:
    sentences = " ".join(f"Sentence number {i} talks about drift." for i in range(40))
    source = f"# Monitoring\n\n{sentences}\n\n# Alerts\n\nAlert text that stands alone here.\n"

    chunks = chunks_of(source, max_units=60, overlap_units=12)
    monitoring = [chunk for chunk in chunks if chunk.section == "Monitoring"]
    alerts = [chunk for chunk in chunks if chunk.section == "Alerts"]

    assert len(monitoring) > 2
    for previous, current in zip(monitoring, monitoring[1:], strict=False):
        # The next chunk opens with the previous chunk's last sentences, within 12 units.
        last_sentence = split_sentences(previous.text)[-1].strip()
        opening = [sentence.strip() for sentence in split_sentences(current.text)[:2]]
        assert last_sentence in opening
    assert alerts[0].text == "# Alerts\n\nAlert text that stands alone here."


def test_chinese_paragraph_splits_at_sentence_ends() -> None:
    sentence = "模型在验证集上的准确率达到了百分之九十五，召回率也有明显提升。"
    source = "# 模型卡\n\n" + sentence * 30 + "\n"

    chunks = chunks_of(source, max_units=100, overlap_units=0)

    assert text_units(sentence) == 29
    assert len(chunks) > 3
    for chunk in chunks:
        assert text_units(chunk.text) <= 100
        assert chunk.text.endswith("。")
        assert chunk.section == "模型卡"


def test_text_units_counts_words_and_cjk() -> None:
    assert text_units("ChatGLM-6B 有 62 亿参数") == 6
    assert text_units("") == 0


def test_plain_text_paragraphs() -> None:
    document = parse_plain_text("First paragraph.\n\nSecond\nparagraph.\n", default_title="notes")

    chunks = chunk_document(document)

    assert document.title == "notes"
    assert [block.text for block in document.blocks] == ["First paragraph.", "Second\nparagraph."]
    assert chunks[0].section == ""


def test_strip_html_keeps_autolinks() -> None:
    assert strip_html("See <https://example.org/a> and <em>this</em>") == (
        "See https://example.org/a and this"
    )


def test_embedded_text_prefixes_context_without_noise() -> None:
    text = embedded_text("GPT-2", "Evaluation Data", "Trained on [WebText](https://x.org/a).")

    assert text == "GPT-2 > Evaluation Data\n\nTrained on WebText."


def test_tokenize_identifiers_and_stopwords() -> None:
    tokens = tokenize("What is the AUC of ChatGLM-6B on v1.2?")

    assert "chatglm-6b" in tokens
    assert "chatglm" in tokens
    assert "6b" in tokens
    assert "v1.2" in tokens
    assert "auc" in tokens
    assert "the" not in tokens
    assert "what" not in tokens


def test_tokenize_chinese_with_jieba() -> None:
    words = tokenize("模型的准确率是多少", bigrams=False)
    tokens = tokenize("模型的准确率是多少")

    assert "模型" in words
    assert "准确率" in words
    assert "的" not in words
    assert "多少" not in words
    assert "型的" not in words
    assert "型的" in tokens
    assert set(words) <= set(tokens)


def test_reciprocal_rank_fusion_weights() -> None:
    fused = reciprocal_rank_fusion([["a", "b"], ["b", "c"]], k=60)
    dense_off = reciprocal_rank_fusion([["a", "b"], ["c", "b"]], k=60, weights=[0.0, 1.0])

    assert [item for item, _ in fused] == ["b", "a", "c"]
    assert [item for item, _ in dense_off][:2] == ["c", "b"]
