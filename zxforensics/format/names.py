"""Fixed vocabularies of the kit (FORMAT.md §9): error kinds, causes, item types."""

from __future__ import annotations

# Kinds of the `kind` column of every errors table.
ERROR_KINDS = (
    "missing",
    "not_regular_file",
    "link_outside",
    "unreadable",
    "invalid_json",
    "invalid_metadata",
    "not_gzip",
    "truncated_gzip",
    "digest_mismatch",
    "too_large",
    "bad_name",
    "hostile_member",
    "misplaced",
    "invalid_mime",  # a mail whose MIME cannot be read as declared: broken structure, unknown charset, too deep
)

# Causes of an unrestored item.
CAUSES = ("read_error", "broken", "invalid", "not_in_backup", "restorable")

# Zimbra MailItem.Type codes accepted where a type is numeric (FORMAT.md §4).
TYPE_CODES = {
    1: "folder",
    2: "searchfolder",
    3: "tag",
    4: "conversation",
    5: "message",
    6: "contact",
    7: "invite",
    8: "document",
    9: "note",
    10: "flag",
    11: "appointment",
    12: "virtual_conversation",
    13: "mountpoint",
    14: "wiki",
    15: "task",
    16: "chat",
    17: "comment",
    18: "link",
}
ITEM_TYPES = tuple(dict.fromkeys(TYPE_CODES.values()))

# Zimbra's system folders (Mailbox.ID_FOLDER_*), used to name folder paths without a folder item.
SYSTEM_FOLDERS = {
    1: "",
    2: "Inbox",
    3: "Trash",
    4: "Junk",
    5: "Sent",
    6: "Drafts",
    7: "Contacts",
    8: "Tags",
    9: "Conversations",
    10: "Calendar",
    11: "",
    12: "Wiki",
    13: "Emailed Contacts",
    14: "Chats",
    15: "Tasks",
    16: "Briefcase",
}
ROOT_FOLDER_ID = 1
USER_ROOT_FOLDER_ID = 1
