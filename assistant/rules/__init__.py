"""The deterministic rules planner: intents and entities in English and Chinese."""
