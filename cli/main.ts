#!/usr/bin/env node
// flowlog's command line. Each command lives in cli/commands/<name>.ts and registers itself here.
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerTransform } from './commands/transform.js';
import { registerSpool } from './commands/spool.js';
import { registerValidate } from './commands/validate.js';
import { registerAgent } from './commands/agent.js';

const pkgPath = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json');
const pkgFallback = join(dirname(fileURLToPath(import.meta.url)), '..', 'package.json');

function version(): string {
  for (const p of [pkgPath, pkgFallback]) {
    try {
      return JSON.parse(readFileSync(p, 'utf8')).version as string;
    } catch {
      /* try the next location (dist/ vs source) */
    }
  }
  return '0.0.0';
}

export function buildProgram(): Command {
  const program = new Command('flowlog')
    .description('Log shipping: journald and container logs → WASM transforms → SQLite spool → Kafka → hot/cold aggregator')
    .version(version(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: true });
  registerTransform(program);
  registerValidate(program);
  registerAgent(program);
  registerSpool(program);
  return program;
}

await buildProgram().parseAsync(process.argv);
