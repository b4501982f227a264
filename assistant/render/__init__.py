"""Answer templates per tool domain; importing this package registers them all."""

from assistant.render import (
    datasets,
    knowledge,
    monitoring,
    pipelines,
    registry,
    version_comparison,
)

__all__ = ["datasets", "knowledge", "monitoring", "pipelines", "registry", "version_comparison"]
