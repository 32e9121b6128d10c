// Writes edgepurge.schema.json from the zod config schema, so editors complete and check
// edgepurge.config.json. `npm run schema`; a unit test fails when the file is out of date.
import { writeFileSync } from 'node:fs';
import { configJsonSchema } from '../src/config/json-schema.ts';

const target = new URL('../edgepurge.schema.json', import.meta.url);
writeFileSync(target, configJsonSchema());
console.log(`wrote ${target.pathname}`);
