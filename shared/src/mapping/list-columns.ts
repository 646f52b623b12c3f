import type { IntrospectedTable } from '../sources/types.ts';
import { columnDefinitionFor, titleColumnDefinition } from './columns.ts';
import { TITLE_COLUMN } from './names.ts';
import type { FieldMappingSpec } from './types.ts';

/**
 * A list column as a user compares it: the same shape whether it comes from the column
 * definition provisioning will send (a proposal, a saved mapping) or from what Graph returns
 * for a provisioned list, so "before" and "after" can be diffed field by field.
 */
export interface ListColumnView {
  name: string;
  displayName: string | null;
  /** Graph's type facet (`text`, `number`, `dateTime`, `choice`, `hyperlinkOrPicture`, ...), `note` for multiple lines of text. */
  type: string;
  indexed: boolean;
  hidden: boolean;
  required: boolean;
  readOnly: boolean;
  enforceUniqueValues: boolean;
  /** text and note. */
  allowMultipleLines?: boolean;
  /** Single line of text only (Graph reports a meaningless 255 on notes too). */
  maxLength?: number;
  /** number: 0-5, or `automatic` (Graph's words `none`...`five` read as numbers). */
  decimalPlaces?: number | string;
  /** dateTime. */
  format?: 'dateOnly' | 'dateTime';
  /** choice. */
  choices?: string[];
  allowTextEntry?: boolean;
  /** currency. */
  locale?: string;
  /**
   * Whether the column holds a collection: a choice shown as check boxes (`displayAs:
   * 'checkBoxes'`, SharePoint's multi-choice), `lookup.allowMultipleValues`,
   * `personOrGroup.allowMultipleSelection`. Only set for choice, lookup and person columns.
   */
  allowMultipleValues?: boolean;
  /** lookup: the list (`lookup.listId`) and the column of it (`lookup.columnName`) the values come from. */
  lookupListId?: string;
  lookupColumnName?: string;
}

const TYPE_FACETS = [
  'text',
  'number',
  'currency',
  'boolean',
  'dateTime',
  'choice',
  'hyperlinkOrPicture',
  'lookup',
  'personOrGroup',
  'calculated',
  'term',
  'geolocation',
  'thumbnail',
  'contentApprovalStatus',
];
const DECIMAL_WORDS = ['none', 'one', 'two', 'three', 'four', 'five'];

const record = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});

/** Reads a Graph `columnDefinition` (one we would send, or one Graph returned) as a ListColumnView. */
export function describeListColumn(def: object): ListColumnView {
  const d = def as Record<string, unknown>;
  const text = d.text == null ? null : record(d.text);
  const facet = TYPE_FACETS.find((t) => d[t] != null);
  const view: ListColumnView = {
    name: typeof d.name === 'string' ? d.name : '',
    displayName: typeof d.displayName === 'string' ? d.displayName : null,
    type: text?.allowMultipleLines === true ? 'note' : (facet ?? 'unknown'),
    indexed: d.indexed === true,
    hidden: d.hidden === true,
    required: d.required === true,
    readOnly: d.readOnly === true,
    enforceUniqueValues: d.enforceUniqueValues === true,
  };
  if (text) {
    view.allowMultipleLines = text.allowMultipleLines === true;
    if (!view.allowMultipleLines && typeof text.maxLength === 'number') view.maxLength = text.maxLength;
  }
  const number = record(d.number);
  if (typeof number.decimalPlaces === 'string') {
    const i = DECIMAL_WORDS.indexOf(number.decimalPlaces);
    view.decimalPlaces = i >= 0 ? i : number.decimalPlaces;
  }
  const dateTime = record(d.dateTime);
  if (d.dateTime != null) view.format = dateTime.format === 'dateOnly' ? 'dateOnly' : 'dateTime';
  const choice = record(d.choice);
  if (Array.isArray(choice.choices)) {
    view.choices = choice.choices.filter((c): c is string => typeof c === 'string');
    view.allowTextEntry = choice.allowTextEntry === true;
  }
  if (d.choice != null) view.allowMultipleValues = choice.displayAs === 'checkBoxes';
  if (d.lookup != null) {
    const lookup = record(d.lookup);
    view.allowMultipleValues = lookup.allowMultipleValues === true;
    if (typeof lookup.listId === 'string') view.lookupListId = lookup.listId;
    if (typeof lookup.columnName === 'string') view.lookupColumnName = lookup.columnName;
  }
  if (d.personOrGroup != null) view.allowMultipleValues = record(d.personOrGroup).allowMultipleSelection === true;
  const currency = record(d.currency);
  if (typeof currency.locale === 'string') view.locale = currency.locale;
  return view;
}

/**
 * The list column each mapping ends up in, from the very definitions provisioning sends
 * (columnDefinitionFor): SharePoint's own Title for a mapping to Title, null when the source
 * column is not in `table` (validateMappings reports that).
 */
export function listColumnsFor(mappings: FieldMappingSpec[], table: IntrospectedTable): Array<ListColumnView | null> {
  const columns = new Map(table.columns.map((c) => [c.name, c]));
  return mappings.map((m) => {
    if (m.targetColumn === TITLE_COLUMN) return describeListColumn(titleColumnDefinition());
    const column = columns.get(m.sourceColumn);
    return column ? describeListColumn(columnDefinitionFor(m, column)) : null;
  });
}
