import { z } from '@hono/zod-openapi';

/**
 * One shape for a list column wherever the API shows one: in a field-mapping proposal and a
 * saved mapping (what provisioning will create) and in a list's columns view (what Graph
 * reports after provisioning), so the two can be compared field by field.
 */
export const ListColumnSchema = z
  .object({
    name: z.string().openapi({ description: 'Internal name' }),
    displayName: z.string().nullable(),
    type: z.string().openapi({
      description:
        "Graph's column type facet (`text`, `number`, `currency`, `boolean`, `dateTime`, `choice`, `hyperlinkOrPicture`, `lookup`, ...); `note` for multiple lines of text",
    }),
    indexed: z.boolean(),
    hidden: z.boolean(),
    required: z.boolean(),
    readOnly: z.boolean(),
    enforceUniqueValues: z.boolean(),
    allowMultipleLines: z.boolean().optional().openapi({ description: 'text and note columns' }),
    maxLength: z.number().int().optional().openapi({ description: 'Single line of text: the most characters it holds' }),
    decimalPlaces: z.union([z.number().int(), z.string()]).optional().openapi({ description: 'number: decimals shown, 0-5, or `automatic`' }),
    format: z.enum(['dateOnly', 'dateTime']).optional().openapi({ description: 'dateTime: date only, or date and time' }),
    choices: z.array(z.string()).optional().openapi({ description: 'choice: the allowed values, in order' }),
    allowTextEntry: z.boolean().optional().openapi({ description: 'choice: values outside the choices are accepted' }),
    locale: z.string().optional().openapi({ description: 'currency: Graph currency locale' }),
    allowMultipleValues: z.boolean().optional().openapi({ description: 'choice, lookup, personOrGroup: the field holds several values' }),
    lookupListId: z.string().optional().openapi({ description: 'lookup: the id of the looked-up list' }),
    lookupColumnName: z.string().optional().openapi({ description: 'lookup: the looked-up column of that list' }),
  })
  .openapi('SharePointColumn');
