/**
 * Microsoft Graph gateway (`@syncbridge/shared/graph`): the only way activities and
 * the API talk to SharePoint Online (or the SharePoint emulator).
 */
export {
  type GraphConnectionConfig,
  type ResolvedGraphConfig,
  DEFAULT_GRAPH_BASE_URL,
  DEFAULT_AUTHORITY_HOST,
  DEFAULT_RU_PER_MINUTE,
  GraphConfigError,
  connectionKey,
  isMicrosoftAuthority,
  resolveGraphConfig,
  userAgent,
} from './config.ts';
export { GraphGateway, type GraphGatewayOptions, type ConnectionTestResult, type ListItemsOptions, type NewList } from './gateway.ts';
export { GatewayRegistry } from './registry.ts';
export { REQUIRED_APP_PERMISSION, checkAppPermissions, tokenRoles, type PermissionCheck } from './permissions.ts';
export { type GraphRequestSpec, type GraphResponse } from './client.ts';
export { executeBatch, type BatchResult, type BatchSuccess, type BatchFailure, type BatchOptions } from './batch.ts';
export { MAX_BATCH_SIZE, planBatches, type BatchRequest } from './batch-plan.ts';
export { type ItemCreate, type ItemUpdate, type ItemDelete, type CreateItemsOptions, odataLiteral } from './items.ts';
export { type DeltaOptions, type DeltaPage, type DeltaResult, type DeltaChanges, type DeltaTokenExpired } from './delta.ts';
export { ResourceUnitBudget, budgetFor, resetBudgetRegistry, type BudgetSnapshot } from './budget.ts';
export {
  SharedBudgetStore,
  SharedRuBudget,
  withBudgetClaim,
  currentBudgetClaim,
  PRIORITY_CODE,
  type BudgetClaim,
  type BudgetPriority,
  type BudgetUsage,
  type BudgetLimits,
  type RuBudget,
} from './shared-budget.ts';
export { resourceUnitCost, type HttpMethod } from './cost.ts';
export { parseRetryAfterMs, parseRateLimit, throttleDelayMs, type RateLimitInfo } from './throttle.ts';
export {
  GraphError,
  GraphAuthError,
  GraphPermissionError,
  GraphNotFoundError,
  GraphConflictError,
  GraphThrottledError,
  GraphUsageError,
  DeltaTokenExpiredError,
  isRetryableStatus,
} from './errors.ts';
export { classifyGraphError, egressDeniedIn } from './classify.ts';
export { AgentClosedError } from './agents.ts';
