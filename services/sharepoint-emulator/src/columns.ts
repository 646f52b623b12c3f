import { GraphError, badRequest, conflict, unknownProperty } from './errors.ts';
import type { ColumnRecord, ColumnType, ListRecord, SiteRecord } from './state.ts';
import { isRecord, newGuid } from './util.ts';

/** SharePoint allows at most 20 indexed columns per list ("Manage large lists and libraries"). */
export const MAX_INDEXED_COLUMNS = 20;
/** Single line of text columns hold at most 255 characters; that is also the default maxLength. */
export const MAX_TEXT_LENGTH = 255;

const TYPE_FACETS: readonly ColumnType[] = ['text', 'number', 'currency', 'boolean', 'dateTime', 'choice', 'hyperlinkOrPicture', 'lookup', 'personOrGroup'];
/** Facets Graph defines but the emulator does not model: refused loudly instead of silently mis-typed. */
const UNSUPPORTED_FACETS = ['calculated', 'geolocation', 'term', 'contentApprovalStatus', 'thumbnail', 'sourceColumn', 'defaultValue', 'validation'];
const SCALAR_PROPS = ['name', 'displayName', 'description', 'columnGroup', 'enforceUniqueValues', 'hidden', 'indexed', 'required', 'readOnly', 'id'];

function builtIn(name: string, displayName: string, type: ColumnType, facet: Record<string, unknown>, extra: Partial<ColumnRecord> = {}): ColumnRecord {
  return {
    id: newGuid(),
    name,
    displayName,
    description: '',
    columnGroup: name === 'Title' ? 'Custom Columns' : '_Hidden',
    type,
    facet,
    indexed: false,
    enforceUniqueValues: false,
    hidden: false,
    required: false,
    readOnly: true,
    ...extra,
  };
}

/** The columns a new `genericList` starts with: the editable `Title` plus read-only system columns. */
export function builtInColumns(): ColumnRecord[] {
  return [
    builtIn('Title', 'Title', 'text', textFacet({}), { readOnly: false, required: true }),
    builtIn('ID', 'ID', 'number', numberFacet({}), { indexed: true }),
    builtIn('ContentType', 'Content Type', 'text', textFacet({})),
    builtIn('Modified', 'Modified', 'dateTime', { displayAs: 'default', format: 'dateTime' }),
    builtIn('Created', 'Created', 'dateTime', { displayAs: 'default', format: 'dateTime' }),
    builtIn('_UIVersionString', 'Version', 'text', textFacet({})),
    builtIn('Attachments', 'Attachments', 'boolean', {}),
  ];
}

/**
 * The User Information List's columns: `Title` holds the person's display name, `EMail` the
 * work e-mail and `UserName` the login name (the names SharePoint gives these fields).
 */
export function userInformationColumns(): ColumnRecord[] {
  const column = (name: string, displayName: string, extra: Partial<ColumnRecord> = {}) =>
    builtIn(name, displayName, 'text', textFacet({}), { columnGroup: '_Hidden', readOnly: false, ...extra });
  return [
    column('Title', 'Name', { required: true }),
    column('EMail', 'Work email'),
    column('UserName', 'User name'),
    builtIn('ID', 'ID', 'number', numberFacet({}), { indexed: true }),
    builtIn('Modified', 'Modified', 'dateTime', { displayAs: 'default', format: 'dateTime' }),
    builtIn('Created', 'Created', 'dateTime', { displayAs: 'default', format: 'dateTime' }),
  ];
}

/** Keys present in every rendered fieldValueSet that are computed by the service, never written by clients. */
export const COMPUTED_FIELD_NAMES = new Set([
  'id',
  'ContentType',
  'Modified',
  'Created',
  'AuthorLookupId',
  'EditorLookupId',
  'AppAuthorLookupId',
  'AppEditorLookupId',
  '_UIVersionString',
  'Attachments',
  'Edit',
  'LinkTitleNoMenu',
  'LinkTitle',
  'ItemChildCount',
  'FolderChildCount',
  'ID',
]);

function textFacet(input: Record<string, unknown>): Record<string, unknown> {
  const multi = input.allowMultipleLines === true;
  return {
    allowMultipleLines: multi,
    appendChangesToExistingText: input.appendChangesToExistingText === true,
    linesForEditing: typeof input.linesForEditing === 'number' ? input.linesForEditing : multi ? 6 : 0,
    maxLength: typeof input.maxLength === 'number' ? input.maxLength : MAX_TEXT_LENGTH,
    ...(multi && typeof input.textType === 'string' ? { textType: input.textType } : {}),
  };
}

function numberFacet(input: Record<string, unknown>): Record<string, unknown> {
  const facet: Record<string, unknown> = {
    decimalPlaces: typeof input.decimalPlaces === 'string' ? input.decimalPlaces : 'automatic',
    displayAs: typeof input.displayAs === 'string' ? input.displayAs : 'number',
    maximum: typeof input.maximum === 'number' ? input.maximum : Number.MAX_VALUE,
    minimum: typeof input.minimum === 'number' ? input.minimum : -Number.MAX_VALUE,
  };
  return facet;
}

/** choiceColumn.displayAs: "Must be one of checkBoxes, dropDownMenu, or radioButtons"; checkBoxes makes a multi-choice column. */
const CHOICE_DISPLAY_AS = ['checkBoxes', 'dropDownMenu', 'radioButtons'];
/** personOrGroupColumn.chooseFromType: "Must be one of peopleAndGroups or peopleOnly". */
const CHOOSE_FROM_TYPES = ['peopleOnly', 'peopleAndGroups'];
/** The displayAs values the personOrGroupColumn resource documents; `nameWithPresence` is the default. */
const PERSON_DISPLAY_AS = [
  'account',
  'department',
  'firstName',
  'id',
  'lastName',
  'mobilePhone',
  'name',
  'nameWithPictureAndDetails',
  'nameWithPresence',
  'office',
  'pictureOnly36x36',
  'pictureOnly48x48',
  'pictureOnly72x72',
  'sipAddress',
  'title',
  'userName',
  'workEmail',
  'workPhone',
];
/** Column types a lookup can show (SharePoint offers single line of text, number and date columns, and the ID). */
const LOOKUP_SOURCE_TYPES: readonly ColumnType[] = ['text', 'number', 'dateTime'];

/** Facet properties that must be booleans when present; anything else answers 400 instead of being read as false. */
function optionalBoolean(input: Record<string, unknown>, key: string, facet: string, name: string): boolean {
  const value = input[key];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw badRequest(`The ${facet} property '${key}' of column '${name}' must be a boolean.`);
  return value;
}

function optionalEnum(input: Record<string, unknown>, key: string, allowed: readonly string[], fallback: string, facet: string, name: string): string {
  const value = input[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw badRequest(`The ${facet} property '${key}' of column '${name}' must be one of ${allowed.join(', ')}.`);
  }
  return value;
}

function onlyKnownKeys(input: Record<string, unknown>, known: readonly string[], type: string): void {
  for (const key of Object.keys(input)) if (!key.startsWith('@') && !known.includes(key)) throw unknownProperty(key, type);
}

/**
 * "lookupColumn resource type": the values are looked up from `columnName` of the list
 * `listId`, which must be a list of the same site with such a column. Secondary lookups
 * (`primaryLookupColumnId`) are not modelled and answer 400 notSupported.
 */
function lookupFacet(input: Record<string, unknown>, name: string, site: SiteRecord): Record<string, unknown> {
  onlyKnownKeys(input, ['listId', 'columnName', 'allowMultipleValues', 'allowUnlimitedLength', 'primaryLookupColumnId'], 'lookupColumn');
  if (input.primaryLookupColumnId !== undefined && input.primaryLookupColumnId !== null) {
    throw new GraphError(400, 'notSupported', `Secondary lookup columns (lookup.primaryLookupColumnId) are not supported by the SharePoint emulator.`);
  }
  if (typeof input.listId !== 'string' || !input.listId) throw badRequest(`Lookup column '${name}' needs a 'listId' naming the list to look values up in.`);
  if (typeof input.columnName !== 'string' || !input.columnName) throw badRequest(`Lookup column '${name}' needs a 'columnName' naming the column to show.`);
  const listId = input.listId.toLowerCase();
  const target = site.lists.find((l) => l.id === listId);
  if (!target) throw badRequest(`The lookup list '${input.listId}' of column '${name}' does not exist in this site.`);
  const source = target.columns.find((c) => c.name === input.columnName);
  if (!source) throw badRequest(`The lookup list '${target.displayName}' has no column '${input.columnName}' for lookup column '${name}'.`);
  if (!LOOKUP_SOURCE_TYPES.includes(source.type) || isMultiLineText(source)) {
    throw badRequest(
      `Column '${source.name}' of list '${target.displayName}' cannot be shown by lookup column '${name}': lookups show single line of text, number or date columns.`,
    );
  }
  return {
    allowMultipleValues: optionalBoolean(input, 'allowMultipleValues', 'lookupColumn', name),
    allowUnlimitedLength: optionalBoolean(input, 'allowUnlimitedLength', 'lookupColumn', name),
    columnName: source.name,
    listId: target.id,
  };
}

/** "personOrGroupColumn resource type": values are users of the site's User Information List. */
function personOrGroupFacet(input: Record<string, unknown>, name: string): Record<string, unknown> {
  onlyKnownKeys(input, ['allowMultipleSelection', 'chooseFromType', 'displayAs'], 'personOrGroupColumn');
  return {
    allowMultipleSelection: optionalBoolean(input, 'allowMultipleSelection', 'personOrGroupColumn', name),
    chooseFromType: optionalEnum(input, 'chooseFromType', CHOOSE_FROM_TYPES, 'peopleOnly', 'personOrGroupColumn', name),
    displayAs: optionalEnum(input, 'displayAs', PERSON_DISPLAY_AS, 'nameWithPresence', 'personOrGroupColumn', name),
  };
}

function normalizeFacet(type: ColumnType, raw: unknown, name: string, site: SiteRecord): Record<string, unknown> {
  if (raw !== undefined && raw !== null && !isRecord(raw)) throw badRequest(`The '${type}' facet of column '${name}' must be an object.`);
  const input = isRecord(raw) ? raw : {};
  switch (type) {
    case 'text': {
      const facet = textFacet(input);
      const max = facet.maxLength as number;
      if (!facet.allowMultipleLines && (!Number.isInteger(max) || max < 1 || max > MAX_TEXT_LENGTH)) {
        throw badRequest(`The maxLength of single line text column '${name}' must be between 1 and ${MAX_TEXT_LENGTH}.`);
      }
      return facet;
    }
    case 'number':
      return numberFacet(input);
    case 'currency':
      return { locale: typeof input.locale === 'string' ? input.locale : 'en-us' };
    case 'boolean':
      return {};
    case 'dateTime':
      return {
        displayAs: typeof input.displayAs === 'string' ? input.displayAs : 'default',
        format: input.format === 'dateOnly' ? 'dateOnly' : 'dateTime',
      };
    case 'choice': {
      const choices = input.choices;
      if (!Array.isArray(choices) || choices.length === 0 || !choices.every((c) => typeof c === 'string')) {
        throw badRequest(`Choice column '${name}' needs a non-empty 'choices' array of strings.`);
      }
      return {
        allowTextEntry: input.allowTextEntry === true,
        choices: [...choices],
        displayAs: optionalEnum(input, 'displayAs', CHOICE_DISPLAY_AS, 'dropDownMenu', 'choiceColumn', name),
      };
    }
    case 'hyperlinkOrPicture':
      return { isPicture: input.isPicture === true };
    case 'lookup':
      return lookupFacet(input, name, site);
    case 'personOrGroup':
      return personOrGroupFacet(input, name);
  }
}

export const isMultiLineText = (c: Pick<ColumnRecord, 'type' | 'facet'>): boolean => c.type === 'text' && c.facet.allowMultipleLines === true;

/** Lookup and person or group columns: values are item ids, written through `<name>LookupId`. */
export const isLookupColumn = (c: Pick<ColumnRecord, 'type'>): boolean => c.type === 'lookup' || c.type === 'personOrGroup';

/**
 * Columns whose values are collections: choice shown as check boxes (SharePoint's
 * multi-choice), lookups with `allowMultipleValues`, person columns with `allowMultipleSelection`.
 */
export function isMultiValue(c: Pick<ColumnRecord, 'type' | 'facet'>): boolean {
  switch (c.type) {
    case 'choice':
      return c.facet.displayAs === 'checkBoxes';
    case 'lookup':
      return c.facet.allowMultipleValues === true;
    case 'personOrGroup':
      return c.facet.allowMultipleSelection === true;
    default:
      return false;
  }
}

/** The field name a lookup column's id travels under: `<name>LookupId`. */
export const lookupIdField = (name: string): string => `${name}LookupId`;

/**
 * Field names a list already uses (lower case): column names and display names, plus the
 * `<name>LookupId` field of every lookup column.
 */
function takenNames(list: ListRecord): Set<string> {
  const taken = new Set<string>();
  for (const c of list.columns) {
    taken.add(c.name.toLowerCase());
    taken.add(c.displayName.toLowerCase());
    if (isLookupColumn(c)) taken.add(lookupIdField(c.name).toLowerCase());
  }
  return taken;
}

/**
 * Validates a Graph columnDefinition for "Create columnDefinition": exactly one type facet,
 * a unique name (a lookup column also claims `<name>LookupId`), `enforceUniqueValues` only
 * on an indexed column, no index on multi-line text or multi-valued columns, at most 20
 * indexed columns in the list, and a lookup's `listId`/`columnName` naming a list of `site`
 * and a column of it.
 */
export function parseColumnDefinition(body: unknown, list: ListRecord, site: SiteRecord): ColumnRecord {
  if (!isRecord(body)) throw badRequest('The request body must be a columnDefinition object.', 'BadRequest');
  const facets: ColumnType[] = [];
  for (const key of Object.keys(body)) {
    if (key.startsWith('@')) continue;
    if ((TYPE_FACETS as readonly string[]).includes(key)) facets.push(key as ColumnType);
    else if (UNSUPPORTED_FACETS.includes(key))
      throw new GraphError(400, 'notSupported', `The '${key}' column facet is not supported by the SharePoint emulator.`);
    else if (!SCALAR_PROPS.includes(key)) throw unknownProperty(key, 'columnDefinition');
  }
  if (facets.length !== 1)
    throw badRequest('A columnDefinition must specify exactly one column type facet (for example text, number, boolean, dateTime, choice).');
  const type = facets[0] as ColumnType;
  const rawName = typeof body.name === 'string' ? body.name : typeof body.displayName === 'string' ? body.displayName.replace(/ /g, '_x0020_') : '';
  if (!rawName.trim()) throw badRequest("The columnDefinition property 'name' is required.");
  if (/\s/.test(rawName)) throw badRequest(`Column name '${rawName}' must not contain whitespace.`);
  const names = takenNames(list);
  const taken =
    names.has(rawName.toLowerCase()) ||
    COMPUTED_FIELD_NAMES.has(rawName) ||
    (isLookupColumn({ type }) && (names.has(lookupIdField(rawName).toLowerCase()) || COMPUTED_FIELD_NAMES.has(lookupIdField(rawName))));
  if (taken) throw conflict(`A duplicate field name "${rawName}" was found.`);
  const column: ColumnRecord = {
    id: newGuid(),
    name: rawName,
    displayName: typeof body.displayName === 'string' && body.displayName ? body.displayName : rawName,
    description: typeof body.description === 'string' ? body.description : '',
    columnGroup: typeof body.columnGroup === 'string' ? body.columnGroup : 'Custom Columns',
    type,
    facet: normalizeFacet(type, body[type], rawName, site),
    indexed: body.indexed === true,
    enforceUniqueValues: body.enforceUniqueValues === true,
    hidden: body.hidden === true,
    required: body.required === true,
    readOnly: false,
  };
  checkIndexRules(column, list.columns);
  return column;
}

export function checkIndexRules(column: ColumnRecord, others: ColumnRecord[]): void {
  if (column.indexed && isMultiLineText(column)) {
    throw badRequest(`Column '${column.name}' cannot be indexed: multiple lines of text columns do not support indexes.`);
  }
  // "Add an index to a list or library column": multi-valued choice, lookup and person columns cannot be indexed.
  if (column.indexed && isMultiValue(column)) {
    throw badRequest(`Column '${column.name}' cannot be indexed: columns that hold multiple values do not support indexes.`);
  }
  if (column.enforceUniqueValues && !column.indexed) {
    throw badRequest(`Column '${column.name}' must be indexed to enforce unique values.`);
  }
  if (column.indexed) {
    // The ID column is the list's primary key, not one of the 20 column indexes.
    const indexed = others.filter((c) => c.indexed && c.id !== column.id && c.name !== 'ID').length;
    if (indexed + 1 > MAX_INDEXED_COLUMNS) {
      throw badRequest(`A list can have at most ${MAX_INDEXED_COLUMNS} indexed columns.`);
    }
  }
}

/** columnDefinition JSON as Graph renders it. */
export function renderColumn(c: ColumnRecord): Record<string, unknown> {
  return {
    columnGroup: c.columnGroup,
    description: c.description,
    displayName: c.displayName,
    enforceUniqueValues: c.enforceUniqueValues,
    hidden: c.hidden,
    id: c.id,
    indexed: c.indexed,
    name: c.name,
    readOnly: c.readOnly,
    required: c.required,
    [c.type]: c.facet,
  };
}
