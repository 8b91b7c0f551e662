#!/usr/bin/env node
// Writes src/probes/data/archspec-targets.json: the part of archspec's microarchitecture database
// the probe reads (each target's parents, vendor, features, POWER generation, ARM CPU part, and
// the ARM vendor names), a third of the full file. The pilot embeds it and builds it into every
// start, so the compiler flag tables it never reads stay out.
// Usage: node scripts/archspec-subset.mjs [--check]   (--check: exit 1 if the committed file is stale)
import { readFileSync, writeFileSync } from 'node:fs';

const source = new URL('../src/probes/data/archspec-microarchitectures.json', import.meta.url);
const target = new URL('../src/probes/data/archspec-targets.json', import.meta.url);

export function archspecSubset(full) {
  const microarchitectures = {};
  for (const [name, entry] of Object.entries(full.microarchitectures)) {
    microarchitectures[name] = {
      from: entry.from,
      vendor: entry.vendor,
      features: entry.features,
      ...(entry.generation !== undefined ? { generation: entry.generation } : {}),
      ...(entry.cpupart !== undefined ? { cpupart: entry.cpupart } : {}),
    };
  }
  return { microarchitectures, conversions: { arm_vendors: full.conversions.arm_vendors } };
}

const text = `${JSON.stringify(archspecSubset(JSON.parse(readFileSync(source, 'utf8'))))}\n`;
if (process.argv.includes('--check')) {
  if (readFileSync(target, 'utf8') !== text) {
    console.error('archspec-targets.json is stale: run node scripts/archspec-subset.mjs');
    process.exit(1);
  }
} else {
  writeFileSync(target, text);
}
