import type { IntrospectedColumn, IntrospectedTable } from '../sources/types.ts';
import { choicesFor, textLimitFor } from './convert.ts';
import { isMultiValued } from './lookups.ts';
import { KEY_COLUMN_NAME, TITLE_COLUMN } from './names.ts';
import { decimalPlacesFor, TEXT_MAX_LENGTH } from './rules.ts';
import type { FieldMappingSpec } from './types.ts';

export { KEY_COLUMN_NAME };

/**
 * The key column every list gets: single-line text, hidden from forms, indexed (so a
 * `$filter` on it works past the 5,000-item threshold) and unique, so a repeated create
 * is refused by SharePoint itself. Uniqueness is case-insensitive there, which the key
 * encoding accounts for (it never depends on letter case).
 */
export function keyColumnDefinition(): Record<string, unknown> {
  return {
    name: KEY_COLUMN_NAME,
    displayName: 'SyncBridge Key',
    description: 'Row key maintained by SyncBridge. Do not edit.',
    hidden: true,
    indexed: true,
    enforceUniqueValues: true,
    text: { allowMultipleLines: false, maxLength: TEXT_MAX_LENGTH },
  };
}

/**
 * SharePoint's own Title column, as a genericList has it. Provisioning never creates it; a
 * mapping that names it writes into it (and without one, the push writes the row's key there).
 */
export function titleColumnDefinition(): Record<string, unknown> {
  return { name: TITLE_COLUMN, displayName: TITLE_COLUMN, required: true, text: { allowMultipleLines: false, maxLength: TEXT_MAX_LENGTH } };
}

/**
 * Graph `columnDefinition` bodies for the mappings' list columns, in mapping order. Title is
 * skipped (every list has it); mappings whose source column is unknown are skipped too
 * (validateMappings reports them).
 */
export function columnDefinitionsFor(mappings: FieldMappingSpec[], table: IntrospectedTable): Array<Record<string, unknown>> {
  const columns = new Map(table.columns.map((c) => [c.name, c]));
  const out: Array<Record<string, unknown>> = [];
  for (const m of mappings) {
    const column = columns.get(m.sourceColumn);
    if (column && m.targetColumn !== TITLE_COLUMN) out.push(columnDefinitionFor(m, column));
  }
  return out;
}

/** The Graph `columnDefinition` body provisioning creates for one mapping (not Title: see titleColumnDefinition). */
export function columnDefinitionFor(m: FieldMappingSpec, column: IntrospectedColumn): Record<string, unknown> {
  const opts = m.converterOptions ?? {};
  const def: Record<string, unknown> = {
    name: m.targetColumn,
    displayName: typeof opts.displayName === 'string' && opts.displayName ? opts.displayName : m.sourceColumn,
  };
  if (opts.indexed === true && m.targetType !== 'note') def.indexed = true;
  switch (m.targetType) {
    case 'text':
      def.text = { allowMultipleLines: false, maxLength: Math.min(textLimitFor(m, column), TEXT_MAX_LENGTH) };
      break;
    case 'note':
      def.text = { allowMultipleLines: true, textType: 'plain', appendChangesToExistingText: false, linesForEditing: 6 };
      break;
    case 'number':
      def.number = { decimalPlaces: decimalPlacesFor(column, opts.decimalPlaces), displayAs: 'number' };
      break;
    case 'currency':
      def.currency = { locale: typeof opts.locale === 'string' ? opts.locale : 'en-us' };
      break;
    case 'boolean':
      def.boolean = {};
      break;
    case 'dateTime': {
      const format = opts.format === 'dateOnly' || opts.format === 'dateTime' ? opts.format : column.typeFamily === 'date' ? 'dateOnly' : 'dateTime';
      def.dateTime = { format, displayAs: 'default' };
      break;
    }
    case 'choice':
      def.choice = { choices: choicesFor(m, column), allowTextEntry: opts.allowTextEntry === true, displayAs: 'dropDownMenu' };
      break;
    case 'hyperlink':
      def.hyperlinkOrPicture = { isPicture: false };
      break;
    case 'multiChoice':
      def.choice = { choices: choicesFor(m, column), allowTextEntry: opts.allowTextEntry === true, displayAs: 'checkBoxes' };
      break;
    case 'lookup':
      // The looked-up list: given, or (lookupDefinitionId) filled in by provisioning from that definition's list.
      def.lookup = {
        listId: typeof opts.lookupListId === 'string' ? opts.lookupListId : '',
        columnName: typeof opts.lookupColumnName === 'string' && opts.lookupColumnName ? opts.lookupColumnName : 'Title',
        allowMultipleValues: isMultiValued(m),
      };
      break;
    case 'person':
      def.personOrGroup = { allowMultipleSelection: isMultiValued(m), chooseFromType: 'peopleOnly' };
      break;
  }
  return def;
}
