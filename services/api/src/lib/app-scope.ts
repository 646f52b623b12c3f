import { eq } from 'drizzle-orm';
import { schema } from '@syncbridge/shared/db';
import type { ApiDeps } from './context.ts';
import { ApiError, ErrorCode, notFound } from './problem.ts';

/**
 * A sync definition belongs to one app, and so must everything it uses: its source
 * instance (instance -> database -> app) and every target's SharePoint connection.
 * Credentials are registered per app by admins; without this rule an operator could
 * point a definition at another app's database or tenant. Cross-app use is refused;
 * there is no grant. The ownership links (definition.appId, connection.appId,
 * database.appId, instance.databaseId) cannot be changed by the API, so a check at
 * write time stays true.
 */
interface AppRef {
  id: string;
  name: string;
}

const describeApp = (a: AppRef) => `app "${a.name}" (${a.id})`;

function refused(field: string, what: string, owner: AppRef, user: AppRef, plural: string): ApiError {
  const message = `${what} belongs to ${describeApp(owner)}; definitions of ${describeApp(user)} may only use their own app's ${plural}`;
  return new ApiError(422, ErrorCode.ValidationFailed, message, [{ field, message }]);
}

function missing(field: string, what: string): ApiError {
  const message = `${what} does not exist`;
  return new ApiError(422, ErrorCode.InvalidReference, message, [{ field, message }]);
}

async function appById(deps: ApiDeps, appId: string): Promise<AppRef | undefined> {
  const [row] = await deps.store.db.select({ id: schema.apps.id, name: schema.apps.name }).from(schema.apps).where(eq(schema.apps.id, appId)).limit(1);
  return row;
}

async function appOfDefinition(deps: ApiDeps, definitionId: string): Promise<AppRef | undefined> {
  const [row] = await deps.store.db
    .select({ id: schema.apps.id, name: schema.apps.name })
    .from(schema.syncDefinitions)
    .innerJoin(schema.apps, eq(schema.apps.id, schema.syncDefinitions.appId))
    .where(eq(schema.syncDefinitions.id, definitionId))
    .limit(1);
  return row;
}

/** For a definition's source: 422 on `field` when the database belongs to another app than `appId`. */
export async function assertDatabaseInApp(deps: ApiDeps, databaseId: string, appId: string, field: string, what = `database ${databaseId}`): Promise<void> {
  const user = await appById(deps, appId);
  if (!user) throw missing('body.appId', `app ${appId}`);
  const [owner] = await deps.store.db
    .select({ id: schema.apps.id, name: schema.apps.name })
    .from(schema.databases)
    .innerJoin(schema.apps, eq(schema.apps.id, schema.databases.appId))
    .where(eq(schema.databases.id, databaseId))
    .limit(1);
  if (!owner) throw missing(field, `database ${databaseId}`);
  if (owner.id !== user.id) throw refused(field, what, owner, user, 'databases');
}

/** For a target: 422 on `body.connectionId` when the connection belongs to another app than the target's definition. */
export async function assertConnectionInApp(deps: ApiDeps, connectionId: string, definitionId: string): Promise<void> {
  const user = await appOfDefinition(deps, definitionId);
  // The CRUD factory has loaded the definition already; it can only be gone if deleted meanwhile.
  if (!user) throw notFound('SyncDefinition', definitionId);
  const [owner] = await deps.store.db
    .select({ id: schema.apps.id, name: schema.apps.name })
    .from(schema.sharepointConnections)
    .innerJoin(schema.apps, eq(schema.apps.id, schema.sharepointConnections.appId))
    .where(eq(schema.sharepointConnections.id, connectionId))
    .limit(1);
  if (!owner) throw missing('body.connectionId', `SharePoint connection ${connectionId}`);
  if (owner.id !== user.id) throw refused('body.connectionId', `SharePoint connection ${connectionId}`, owner, user, 'SharePoint connections');
}
