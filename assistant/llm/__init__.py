"""The LLM path: an OpenAI-compatible chat model that calls registry tools through governance."""
