"""Answer templates for the pipelines tools."""
