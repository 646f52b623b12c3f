import { createRoute, z } from '@hono/zod-openapi';
import { schema } from '@syncbridge/shared/db';
import type { App } from '../lib/context.ts';
import { requireRole } from '../lib/auth.ts';
import { commonErrorResponses } from '../lib/problem.ts';

const Me = z
  .object({
    keyId: z.string().uuid(),
    name: z.string(),
    role: z.enum(schema.apiRole.enumValues).openapi({ description: 'What this key may do: viewer reads, operator also runs syncs, admin everything' }),
  })
  .openapi('Me');

/** Who the presented key is: lets a client (the web UI among them) show only what the key may do. */
export function registerMe(app: App) {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/me',
      tags: ['API keys'],
      security: [{ bearerAuth: [] }],
      middleware: [requireRole('viewer')] as const,
      summary: 'The API key making this request: its id, name and role',
      responses: { 200: { description: 'The key', content: { 'application/json': { schema: Me } } }, ...commonErrorResponses },
    }),
    (c) => {
      const { keyId, name, role } = c.get('principal');
      return c.json({ keyId, name, role }, 200);
    },
  );
}
