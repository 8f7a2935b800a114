"""zxforensics: offline, read-only forensics of Zextras Backup paths as pandas DataFrames.

    import zxforensics as zx
    store = zx.open_backup("/mnt/import")
    store.item_states()

Names are imported on first use, so `import zxforensics` stays light for worker processes.
"""

from __future__ import annotations

from importlib import import_module

from .version import __version__

# public name -> module that defines it (`module:attribute` when the module names it otherwise)
_EXPORTS = {
    "open_backup": "store.backup",
    "build_index": "store.backup",
    "BackupStore": "store.backup",
    "resolve_backup_path": "store.backup",
    "ZxError": "errors",
    "DataError": "errors",
    "EvidenceError": "errors",
    "ParseError": "errors",
    "NotABackupPath": "errors",
    "NotFound": "errors",
    "make_sample": "sample",
    "generate_store": "sample",
    "build_from_report": "sample.from_report",
    # the vendor's query verbs and extraction
    "get_item": "investigate.queries",
    "search_items": "investigate.queries",
    "account_info": "investigate.queries",
    "extract": "investigate.extract:extract_item",
    "summarize": "investigate.summary",
    # hand-over: a mailbox at a date, and search inside the mails
    "export_mailbox": "investigate.mailbox_export",
    "search_content": "investigate.content_search",
    "probe": "investigate.probe",
    # the vendor's info verbs and the monitoring check
    "backup_info": "investigate.info",
    "available_accounts": "investigate.info",
    "account_intervals": "investigate.info",
    "cos_backup_status": "investigate.info",
    "health": "investigate.health:measure",
    # restore investigation
    "read_notification": "store.inputs",
    "read_notifications": "store.inputs",
    "diagnose": "investigate.diagnose",
    "preflight": "investigate.diagnose",
    "VerifiedBlobs": "investigate.verified_blobs",  # a pre-flight's verdicts, for the audit of the same run
    "validate_message": "investigate.lmtp",
    # server configuration
    "diff_config": "investigate.config_diff",
    "config_timeline": "investigate.config_diff",
    "diff_customizations": "investigate.config_diff",
    # audits
    "audit": "investigate.coherency",
    "retention": "investigate.retention",
    "shares": "investigate.shares",
    "read_map": "store.inputs",
    "read_id_mapper": "store.inputs",
    "fix_shares_plan": "investigate.shares",
    "read_operations": "store.inputs",
    "open_backups": "store.multistore",
    "compare_copies": "investigate.copies",
    # reports
    "timeline": "investigate.timeline",
    "write_timeline": "investigate.timeline",
    "export_timeline": "investigate.timeline",
    "run_report": "report.run",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'zxforensics' has no attribute {name!r}")
    if module.startswith("store"):  # a store from the public API has its investigation methods
        import_module(".investigate", __name__)
    module, _, attribute = module.partition(":")
    value = getattr(import_module(f".{module}", __name__), attribute or name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
