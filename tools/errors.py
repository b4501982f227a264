"""The ModelPilot error family.

Every error a user can cause is a ``ModelPilotError`` whose message is one line that quotes the
offending value and says what to do next. Each channel turns it into that line in one place and
logs the traceback at DEBUG.
"""


class ModelPilotError(Exception):
    """Base class for errors a user can act on."""


class ConfigError(ModelPilotError):
    """Invalid or missing settings."""


class StoreError(ModelPilotError):
    """The metadata store could not be opened, read or written."""


class SchemaVersionError(StoreError):
    """The store was written by a different schema version."""


class StoreBusyError(StoreError):
    """Another process held the store's write lock for longer than the retry budget."""


class NotFoundError(ModelPilotError):
    """A named entity (run, experiment, model, version, dataset, pipeline...) does not exist."""


class InvalidInputError(ModelPilotError):
    """A value given by a user or a model is malformed or out of range."""


class ImportFailedError(ModelPilotError):
    """An import from an external source could not read anything."""


class PermissionDeniedError(ModelPilotError):
    """The acting user's role does not allow the requested change."""


class ConfirmationError(ModelPilotError):
    """A confirmation token is missing, stale, reused or belongs to someone else."""


class ReadOnlyError(ModelPilotError):
    """A mutating tool was requested while the workspace is in read-only mode."""


class ToolError(ModelPilotError):
    """A tool could not complete; the message tells the caller how to correct the request."""
