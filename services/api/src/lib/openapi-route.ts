import { z } from '@hono/zod-openapi';

/*
 * The small pieces every hand-written route repeats (routes the CRUD factory does not make):
 * the bearer-key security requirement, a JSON body or response, and a UUID path parameter.
 */

export const bearerSecurity = [{ bearerAuth: [] }];

export const jsonContent = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } } });

/** `{ <name>: uuid }` as a path parameter. */
export const uuidPathParam = <N extends string>(name: N) =>
  z.object({
    [name]: z
      .string()
      .uuid()
      .openapi({ param: { name, in: 'path' } }),
  } as Record<N, z.ZodString>);
