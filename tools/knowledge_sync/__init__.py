"""Keeping the knowledge index in step with the text kept in the store."""

from tools.knowledge_sync.sync import open_index, sync_store_documents

__all__ = ["open_index", "sync_store_documents"]
