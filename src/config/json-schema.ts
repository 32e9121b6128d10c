import { z } from 'zod';
import { configSchema } from './schema.ts';

/** The JSON Schema of the config file, as text (what `edgepurge.schema.json` holds). */
export function configJsonSchema(): string {
  const schema = z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' });
  return `${JSON.stringify({ ...schema, title: 'edgepurge configuration' }, null, 2)}\n`;
}
