"""Answer templates for the datasets tools."""
