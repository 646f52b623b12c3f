export * from './types.ts';
export { canonicalDecimal, compareDecimal, exactDouble } from './decimal.ts';
export { canonicalKeyText, legacyKeyText, UnsupportedKeyValueError } from './canonical.ts';
export { canonicalJson, CanonicalJsonError } from './json.ts';
export { intervalToIso, parseTimestampText, toSharePointDateTime, SHAREPOINT_MIN_DATE_MS, SHAREPOINT_MAX_DATE_MS } from './temporal.ts';
export { KEY_COLUMN_NAME, TITLE_COLUMN, deriveInternalName, isReservedName, isValidInternalName, MAX_INTERNAL_NAME_LENGTH } from './names.ts';
export { ALLOWED_TARGETS, defaultTargetType, TEXT_MAX_LENGTH, NOTE_MAX_LENGTH, DEFAULT_MAX_BYTES } from './rules.ts';
export { applyTransforms, checkTransform, MAX_TRANSFORM_INPUT, type TransformProblem } from './transforms.ts';
export { compileLinearRegex, UnsupportedPatternError } from './regex.ts';
export { convertRow, convertValue } from './convert.ts';
export { proposeDefaultMappings, proposeMappings, type MappingProposal, type ProposeOptions, type SensitiveColumn } from './defaults.ts';
export { sensitiveColumnReason, sensitiveNameReason } from './sensitive.ts';
export { describeListColumn, listColumnsFor, type ListColumnView } from './list-columns.ts';
export { validateMappings } from './validate.ts';
export { columnDefinitionFor, columnDefinitionsFor, keyColumnDefinition, titleColumnDefinition } from './columns.ts';
export { encodeSourceKey, decodeSourceKey, keyFilter, KeyTooLongError, InvalidSourceKeyError, MAX_SOURCE_KEY_LENGTH } from './keys.ts';
export { contentHash } from './hash.ts';
export { sourceTextFromList } from './list-text.ts';
export { validateKeyStrategy, validateCursor } from './key-strategy.ts';
export {
  routeRow,
  evaluateRule,
  compareRoutingValues,
  validateRoutingRule,
  InvalidRoutingRuleError,
  MAX_ROUTING_RULE_DEPTH,
  routingRuleTooDeep,
} from './routing.ts';
export { itemToRow, itemKey, ingestProblem, type IngestResult, type ItemKeyResult } from './ingest.ts';
export { softDeleteProblem, softDeleteMark, isSoftDeleted } from './soft-delete.ts';
export {
  elementColumn,
  elementsOf,
  fieldNameOf,
  isMultiValued,
  itemValueOf,
  lookupDefinitionOf,
  personByOf,
  readFieldOf,
  resolvesThroughLookups,
  syncedKeyOf,
  type Lookups,
  type SiteUsers,
  type SyncedItems,
} from './lookups.ts';
