"""The assistant: planners that turn requests into tool calls, and answer composition."""
