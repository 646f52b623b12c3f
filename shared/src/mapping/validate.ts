import type { IntrospectedTable } from '../sources/types.ts';
import { choicesFor } from './convert.ts';
import { isReservedName, isValidInternalName, KEY_COLUMN_NAME, MAX_INTERNAL_NAME_LENGTH, TITLE_COLUMN } from './names.ts';
import { ALLOWED_TARGETS, CHOICE_MAX_LENGTH, DECIMAL_PLACES_VALUES, isUnboundedText, STRING_FAMILIES, TEXT_MAX_LENGTH, TEXTUAL_TARGETS } from './rules.ts';
import { checkTransform } from './transforms.ts';
import { SHAREPOINT_COLUMN_TYPES, type FieldMappingSpec, type ValidationIssue } from './types.ts';

const DIRECTIONS = ['push', 'ingress', 'both'];

/**
 * Everything wrong with a set of mappings for a table, as `{ field, message }` with paths like
 * `mappings[2].targetType`. Empty means the mappings can be provisioned and converted.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function validateMappings(table: IntrospectedTable, mappings: FieldMappingSpec[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const columns = new Map(table.columns.map((c) => [c.name, c]));
  const targets = new Map<string, number>();
  const sources = new Map<string, number>();
  mappings.forEach((m, i) => {
    const at = (prop: string) => `mappings[${i}].${prop}`;
    const add = (prop: string, message: string) => issues.push({ field: at(prop), message });
    const column = columns.get(m.sourceColumn);
    if (!column) add('sourceColumn', `column "${m.sourceColumn}" does not exist in ${table.schema}.${table.name}`);
    const firstSource = sources.get(m.sourceColumn);
    if (firstSource !== undefined) add('sourceColumn', `column "${m.sourceColumn}" is already mapped by mappings[${firstSource}]`);
    else sources.set(m.sourceColumn, i);
    if (!DIRECTIONS.includes(m.direction)) add('direction', `direction must be one of ${DIRECTIONS.join(', ')}`);

    // Target name: SharePoint internal name rules, reserved names, uniqueness (case-insensitive).
    const target = m.targetColumn;
    if (target === TITLE_COLUMN) {
      if (m.targetType !== 'text') add('targetType', 'Title is a single line of text column: its target type must be "text"');
    } else if (typeof target !== 'string' || !isValidInternalName(target)) {
      add(
        'targetColumn',
        `"${String(target)}" is not a valid internal name: letters, digits and _, starting with a letter, at most ${MAX_INTERNAL_NAME_LENGTH} characters`,
      );
    } else if (target.toLowerCase() === KEY_COLUMN_NAME.toLowerCase()) {
      add('targetColumn', `${KEY_COLUMN_NAME} holds the row key and is managed by SyncBridge`);
    } else if (isReservedName(target)) {
      add('targetColumn', `"${target}" is a reserved SharePoint field name`);
    }
    const lower = typeof target === 'string' ? target.toLowerCase() : '';
    const firstTarget = targets.get(lower);
    if (firstTarget !== undefined) add('targetColumn', `target "${target}" is already used by mappings[${firstTarget}] (names are case-insensitive)`);
    else targets.set(lower, i);

    if (!SHAREPOINT_COLUMN_TYPES.includes(m.targetType)) {
      add('targetType', `unknown target type "${String(m.targetType)}" (${SHAREPOINT_COLUMN_TYPES.join(', ')})`);
      return;
    }
    if (!column) return;
    if (!ALLOWED_TARGETS[column.typeFamily].includes(m.targetType)) {
      add('targetType', `a ${column.dataType} column cannot convert to ${m.targetType} (possible: ${ALLOWED_TARGETS[column.typeFamily].join(', ')})`);
      return;
    }
    const opts = m.converterOptions ?? {};
    const maxLength = opts.maxLength;
    if (maxLength !== undefined && (typeof maxLength !== 'number' || !Number.isInteger(maxLength) || maxLength < 1))
      add('converterOptions.maxLength', 'maxLength must be a positive integer');
    if (m.targetType === 'text') {
      if (typeof maxLength === 'number' && maxLength > TEXT_MAX_LENGTH)
        add('converterOptions.maxLength', `a single line of text column holds at most ${TEXT_MAX_LENGTH} characters; use "note"`);
      // An explicit maxLength is the user accepting that longer values quarantine (e.g. a text column mapped to Title).
      if (maxLength === undefined && isUnboundedText(column)) {
        add(
          'targetType',
          `${column.dataType} values can exceed ${TEXT_MAX_LENGTH} characters: map to "note", or set converterOptions.maxLength (≤ ${TEXT_MAX_LENGTH}) to quarantine longer values`,
        );
      }
    }
    if (m.targetType === 'choice') {
      const choices = choicesFor(m, column);
      if (choices.length === 0) add('converterOptions.choices', 'a choice column needs choices: map an enum column or set converterOptions.choices');
      if (choices.some((c) => c.length === 0 || c.length > CHOICE_MAX_LENGTH))
        add('converterOptions.choices', `choices must be 1 to ${CHOICE_MAX_LENGTH} characters long`);
      if (new Set(choices).size !== choices.length) add('converterOptions.choices', 'choices must be unique');
    }
    if (m.targetType === 'multiChoice') {
      const choices = choicesFor(m, column);
      if (choices.length === 0) add('converterOptions.choices', 'a multi-choice column needs choices: set converterOptions.choices (or map an enum array)');
      if (choices.some((c) => c.length === 0 || c.length > CHOICE_MAX_LENGTH))
        add('converterOptions.choices', `choices must be 1 to ${CHOICE_MAX_LENGTH} characters long`);
      if (new Set(choices).size !== choices.length) add('converterOptions.choices', 'choices must be unique');
    }
    const collection = column.typeFamily === 'array' || column.typeFamily === 'json' || column.typeFamily === 'jsonb';
    if (m.targetType === 'lookup' || m.targetType === 'person') {
      if (opts.multipleValues !== undefined && typeof opts.multipleValues !== 'boolean')
        add('converterOptions.multipleValues', 'multipleValues must be true or false');
      else if (opts.multipleValues === true && !collection)
        add('converterOptions.multipleValues', `a ${column.dataType} column holds one value: several ${m.targetType}s need an array or JSON column`);
      else if (opts.multipleValues !== true && collection)
        add(
          'converterOptions.multipleValues',
          `a ${column.dataType} column holds several values: set converterOptions.multipleValues to true (a multi-valued ${m.targetType} column)`,
        );
    }
    if (m.targetType === 'lookup') {
      const definition = opts.lookupDefinitionId;
      if (definition !== undefined && (typeof definition !== 'string' || !UUID.test(definition)))
        add('converterOptions.lookupDefinitionId', 'lookupDefinitionId must be the id of the sync definition whose rows the looked-up list holds');
      const idFamily = column.typeFamily === 'array' ? (column.elementFamily ?? 'other') : column.typeFamily;
      if (definition === undefined && !['smallint', 'integer', 'bigint', 'json', 'jsonb'].includes(idFamily))
        add(
          'targetType',
          `a ${column.dataType} column holds no list item id: give converterOptions.lookupDefinitionId to look up the rows another definition syncs`,
        );
      if (opts.lookupListId !== undefined && typeof opts.lookupListId !== 'string') add('converterOptions.lookupListId', 'lookupListId must be a list id');
    }
    if (m.targetType === 'person' && opts.personBy !== undefined && opts.personBy !== 'email' && opts.personBy !== 'displayName')
      add('converterOptions.personBy', 'personBy must be "email" or "displayName"');
    if ((m.targetType === 'number' || m.targetType === 'currency') && opts.decimalPlaces !== undefined) {
      const dp = opts.decimalPlaces;
      if (!(typeof dp === 'string' ? DECIMAL_PLACES_VALUES.includes(dp) : typeof dp === 'number' && Number.isInteger(dp) && dp >= 0 && dp <= 5)) {
        add('converterOptions.decimalPlaces', `decimalPlaces must be 0..5 or one of ${DECIMAL_PLACES_VALUES.join(', ')}`);
      }
    }
    if (opts.rounding !== undefined && opts.rounding !== 'exact' && opts.rounding !== 'nearest')
      add('converterOptions.rounding', 'rounding must be "exact" or "nearest"');
    if (m.targetType === 'dateTime' && opts.format !== undefined && opts.format !== 'dateOnly' && opts.format !== 'dateTime') {
      add('converterOptions.format', 'format must be "dateOnly" or "dateTime"');
    }
    if (opts.indexed === true && m.targetType === 'note') add('converterOptions.indexed', 'multiple lines of text columns cannot be indexed');

    if (!Array.isArray(m.transforms)) {
      add('transforms', 'transforms must be an array');
      return;
    }
    if (m.transforms.length && !TEXTUAL_TARGETS.has(m.targetType) && !STRING_FAMILIES.has(column.typeFamily)) {
      add('transforms', `transforms apply to text; a ${column.dataType} value converted to ${m.targetType} is not text`);
    }
    m.transforms.forEach((t, j) => {
      const problem = checkTransform(t);
      if (problem) issues.push({ field: `${at('transforms')}[${j}]${problem.property ? `.${problem.property}` : ''}`, message: problem.message });
    });
  });
  return issues;
}
