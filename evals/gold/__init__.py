"""The gold set: hand-written templates, the generator that fills them, the JSONL it writes."""
