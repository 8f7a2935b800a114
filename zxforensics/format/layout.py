"""Names and places in a backup path (FORMAT.md §1, §3, §5)."""

from __future__ import annotations

import re

# The vendor's default backup paths, newest product first (FORMAT.md, "Default backup paths").
DEFAULT_BACKUP_PATHS = (
    "/opt/zextras/backup/zextras/",
    "/opt/zimbra/backup/zextras/",
    "/opt/zimbra/backup/ng/",
)
# The environment a face falls back on (the CLI, the notebooks, the dashboard's kernels), beside the time
# zone's ZXFORENSICS_TZ (format.dates).
BACKUP_PATH_ENV = "ZXFORENSICS_BACKUP_PATH"
NOTIFICATION_ENV = "ZXFORENSICS_NOTIFICATION"
OUT_DIR_ENV = "ZXFORENSICS_OUT_DIR"
# The persistent index (store.index): a folder, or `off` to scan without one.
INDEX_ENV = "ZXFORENSICS_INDEX"
# Folder names a backup path is usually mounted under; a user may point at their parent.
DEFAULT_ROOT_NAMES = ("ng", "zextras")
# Entries whose presence marks a folder as a backup path.
MARKERS = ("accounts", "items", "server", "backupstat")

ACCOUNTS_DIR = "accounts"
ITEMS_DIR = "items"
SERVER_DIR = "server"
ACCOUNT_INFO = "account_info"
ACCOUNT_STAT = "account_stat"
ID_MAPPER_LOG = "id_mapper.log"
BACKUPSTAT = "backupstat"
ACCOUNT_ARCHIVE_SUFFIX = ".tar.gz"
DRIVE_ITEMS_DIR = "drive_items"  # Drive files: listed, not parsed
LOCK_PREFIX = "lock_"  # lock_<serverId>
MAP_PREFIX = "map_"  # map_<sourceServerId> (FORMAT.md §7)
# What FORMAT.md §3 describes inside an account folder: files, then folders.
ACCOUNT_FILES = (ACCOUNT_INFO, ACCOUNT_STAT, ID_MAPPER_LOG)
ACCOUNT_FOLDERS = (ITEMS_DIR, DRIVE_ITEMS_DIR)

NN_DIR_RE = re.compile(r"^\d{2}$")
ITEM_FILE_RE = re.compile(r"^\d+$")
# A zimbraId: a UUID (any case: folders of upper-case ids are met).
ZIMBRA_ID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def nn_folder(item_id: int) -> str:
    """Last two decimal digits of an item id, zero padded: 2057 -> `57`, 5 -> `05`."""
    return f"{item_id % 100:02d}"


def item_relpath(account_id: str, item_id: int) -> str:
    """Where an item's metadata lives, relative to the backup path."""
    return f"{ACCOUNTS_DIR}/{account_id}/items/{nn_folder(item_id)}/{item_id}"
