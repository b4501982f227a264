"""Answer template for the knowledge tool: quoted passages with numbered citations."""

from __future__ import annotations

from typing import Any

from assistant.compose import Rendered, register_renderer, zh
from assistant.plan import Plan

QUOTE_CHARS = 320


@register_renderer("search_knowledge")
def _search_knowledge(
    result: dict[str, Any], args: dict[str, Any], lang: str, plan: Plan
) -> Rendered:
    passages = result["passages"]
    if not passages:
        return (
            zh(
                lang,
                "Nothing in the notes, model cards or documents answers that; I would rather not guess.",
                "笔记、模型卡和文档中没有找到相关内容，我不做猜测。",
            ),
            None,
            None,
        )
    lines = [zh(lang, "From the recorded notes and documents:", "根据已记录的笔记和文档：")]
    for number, passage in enumerate(passages[:3], start=1):
        quote = " ".join(passage["text"].split())
        if len(quote) > QUOTE_CHARS:
            quote = quote[:QUOTE_CHARS].rsplit(" ", 1)[0] + " …"
        lines.append(f"[{number}] {quote}")
    return "\n".join(lines), None, None
