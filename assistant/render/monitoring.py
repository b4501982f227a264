"""Answer templates for the monitoring tools."""
