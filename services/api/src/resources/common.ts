import { z } from '@hono/zod-openapi';

export const timestamps = {
  createdAt: z.string().datetime(),
  updatedAt: z.string().datetime(),
};

export const name = (description: string) => z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').openapi({ description });

export const uuidRef = (description: string) => z.string().uuid('must be a UUID').openapi({ description });

export const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Filter on a parent id in list queries. */
export const uuidFilter = (description: string) => z.string().uuid('must be a UUID').optional().openapi({ description });
