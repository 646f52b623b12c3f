import { GraphError, badRequest, conflict, unknownProperty } from './errors.ts';
import type { ColumnRecord, ColumnType, ListRecord } from './state.ts';
import { isRecord, newGuid } from './util.ts';

/** SharePoint allows at most 20 indexed columns per list ("Manage large lists and libraries"). */
export const MAX_INDEXED_COLUMNS = 20;
/** Single line of text columns hold at most 255 characters; that is also the default maxLength. */
export const MAX_TEXT_LENGTH = 255;

const TYPE_FACETS: readonly ColumnType[] = ['text', 'number', 'currency', 'boolean', 'dateTime', 'choice', 'hyperlinkOrPicture'];
/** Facets Graph defines but the emulator does not model: refused loudly instead of silently mis-typed. */
const UNSUPPORTED_FACETS = [
  'lookup',
  'personOrGroup',
  'calculated',
  'geolocation',
  'term',
  'contentApprovalStatus',
  'thumbnail',
  'sourceColumn',
  'defaultValue',
  'validation',
];
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

function normalizeFacet(type: ColumnType, raw: unknown, name: string): Record<string, unknown> {
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
        displayAs: typeof input.displayAs === 'string' ? input.displayAs : 'dropDownMenu',
      };
    }
    case 'hyperlinkOrPicture':
      return { isPicture: input.isPicture === true };
  }
}

export const isMultiLineText = (c: Pick<ColumnRecord, 'type' | 'facet'>): boolean => c.type === 'text' && c.facet.allowMultipleLines === true;

/**
 * Validates a Graph columnDefinition for "Create columnDefinition": exactly one type facet,
 * a unique name, `enforceUniqueValues` only on an indexed column, no index on multi-line
 * text, and at most 20 indexed columns in the list.
 */
export function parseColumnDefinition(body: unknown, list: ListRecord): ColumnRecord {
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
  const taken =
    list.columns.some((c) => c.name.toLowerCase() === rawName.toLowerCase() || c.displayName.toLowerCase() === rawName.toLowerCase()) ||
    COMPUTED_FIELD_NAMES.has(rawName);
  if (taken) throw conflict(`A duplicate field name "${rawName}" was found.`);
  const column: ColumnRecord = {
    id: newGuid(),
    name: rawName,
    displayName: typeof body.displayName === 'string' && body.displayName ? body.displayName : rawName,
    description: typeof body.description === 'string' ? body.description : '',
    columnGroup: typeof body.columnGroup === 'string' ? body.columnGroup : 'Custom Columns',
    type,
    facet: normalizeFacet(type, body[type], rawName),
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
