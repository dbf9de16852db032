#!/usr/bin/env node
// The `teamhub` command: registers tsx in this process and runs cli/main.ts (no build step).
// Resolved relative to this file, so it works from any cwd and through `npm link`.
import { register } from 'tsx/esm/api';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

register();
const here = path.dirname(fileURLToPath(import.meta.url));
await import(pathToFileURL(path.join(here, '..', 'main.ts')).href);
