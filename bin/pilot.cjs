#!/usr/bin/env node
'use strict';
// Thin launcher for `npx pilot`: the pilot itself is the bundle built by `npm run build`.
const path = require('node:path');
const fs = require('node:fs');
const bundle = path.join(__dirname, '..', 'dist', 'pilot.cjs');
if (!fs.existsSync(bundle)) {
  process.stderr.write('pilot: dist/pilot.cjs is missing; run `npm run build` first\n');
  process.exit(70);
}
require(bundle);
