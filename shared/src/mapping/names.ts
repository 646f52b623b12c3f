/*
 * SharePoint internal column names. SyncBridge creates columns whose internal name is
 * letters, digits and underscores, starts with a letter and has at most 32 characters, so
 * the name Graph stores is exactly the name we sent (no _x0020_ encoding, no truncation).
 * SharePoint matches field names case-insensitively, so uniqueness is checked that way too.
 */

/** The hidden, indexed, unique text column holding each item's encoded source key. */
export const KEY_COLUMN_NAME = 'SyncBridgeKey';

export const MAX_INTERNAL_NAME_LENGTH = 32;
const INTERNAL_NAME = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;

/**
 * Built-in and computed fields of a generic list (and of the item/document content types
 * a list may be switched to). A user column with one of these names either fails to create
 * or shadows SharePoint's own field.
 */
const RESERVED = [
  'ID',
  'Id',
  'Title',
  'Created',
  'Modified',
  'Author',
  'Editor',
  'ContentType',
  'ContentTypeId',
  'Attachments',
  '_UIVersionString',
  '_UIVersion',
  'AuthorLookupId',
  'EditorLookupId',
  'AppAuthor',
  'AppEditor',
  'AppAuthorLookupId',
  'AppEditorLookupId',
  'LinkTitle',
  'LinkTitleNoMenu',
  'LinkTitle2',
  'Edit',
  'SelectTitle',
  'ItemChildCount',
  'FolderChildCount',
  'GUID',
  'UniqueId',
  'FileRef',
  'FileLeafRef',
  'FileDirRef',
  'FSObjType',
  'ProgId',
  'ScopeId',
  'Order',
  'owshiddenversion',
  'WorkflowVersion',
  'WorkflowInstanceID',
  '_ModerationStatus',
  '_ModerationComments',
  '_Level',
  '_IsCurrentVersion',
  'InstanceID',
  'MetaInfo',
  'ServerUrl',
  'EncodedAbsUrl',
  'BaseName',
  'File_x0020_Type',
  'HTML_x0020_File_x0020_Type',
  '_EditMenuTableStart',
  '_EditMenuTableStart2',
  '_EditMenuTableEnd',
  'PermMask',
  'DocIcon',
  'Restricted',
  'OriginatorId',
  'NoExecute',
  'ContentVersion',
  'SMTotalSize',
  'SMLastModifiedDate',
  'SMTotalFileStreamSize',
  'SMTotalFileCount',
  'ParentVersionString',
  'ParentLeafName',
  'SortBehavior',
  'SyncClientId',
  'Last_x0020_Modified',
  'Created_x0020_Date',
  '_HasCopyDestinations',
  '_CopySource',
  '_ComplianceFlags',
  '_ComplianceTag',
  '_ComplianceTagWrittenTime',
  '_ComplianceTagUserId',
  '_IsRecord',
  'AccessPolicy',
  '_VirusStatus',
  '_VirusVendorID',
  '_VirusInfo',
  '_CommentFlags',
  '_CommentCount',
  '_ColorTag',
  'ComplianceAssetId',
  'Combine',
  'RepairDocument',
  KEY_COLUMN_NAME,
];
const RESERVED_LOWER = new Set(RESERVED.map((n) => n.toLowerCase()));

/** Title is SharePoint's own column: usable only when a mapping names it explicitly. */
export const TITLE_COLUMN = 'Title';

export const isValidInternalName = (name: string): boolean => INTERNAL_NAME.test(name);

/** Reserved by SharePoint or SyncBridge (case-insensitive). Title counts as reserved here. */
export const isReservedName = (name: string): boolean => RESERVED_LOWER.has(name.toLowerCase());

/**
 * An internal name derived from a source column name: accents dropped, anything outside
 * [A-Za-z0-9_] becomes "_", a leading non-letter gets the prefix "c", at most 32 characters,
 * and a numeric suffix when the name is reserved or already `taken` (lower-cased names).
 * Adds the result to `taken`.
 */
export function deriveInternalName(source: string, taken: Set<string>): string {
  let base = source
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!base) base = 'Column';
  if (!/^[A-Za-z]/.test(base)) base = `c${base}`;
  base = base.slice(0, MAX_INTERNAL_NAME_LENGTH);
  let name = base;
  for (let n = 2; isReservedName(name) || taken.has(name.toLowerCase()); n++) {
    const suffix = `_${n}`;
    name = `${base.slice(0, MAX_INTERNAL_NAME_LENGTH - suffix.length)}${suffix}`;
  }
  taken.add(name.toLowerCase());
  return name;
}
