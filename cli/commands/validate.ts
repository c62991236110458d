import type { Command } from 'commander';
import { ConfigError, loadConfigFile, type Role } from '../../core/config/load.js';
import { describeError } from '../../core/errors.js';
import { registerAll } from '../components.js';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check a config file: YAML, every component against its schema, inputs and ${ENV} references')
    .requiredOption('-c, --config <file>', 'config file (YAML)')
    .option('--role <role>', 'check for this process: agent or aggregator (default: either)')
    .option('--json', 'print the result as JSON')
    .action((opts: { config: string; role?: Role; json?: boolean }) => {
      registerAll();
      try {
        const cfg = loadConfigFile(opts.config, { role: opts.role });
        const summary = cfg.components.map((c) => `${c.kind} ${c.name} (${c.type})`);
        if (opts.json) process.stdout.write(JSON.stringify({ valid: true, components: summary }) + '\n');
        else process.stdout.write(`${opts.config}: valid, ${cfg.components.length} components\n`);
      } catch (e) {
        if (opts.json) {
          const problems = e instanceof ConfigError ? e.problems : [{ message: describeError(e) }];
          process.stdout.write(JSON.stringify({ valid: false, problems }) + '\n');
        } else {
          process.stderr.write((e instanceof ConfigError ? e.message : describeError(e)) + '\n');
        }
        process.exitCode = 1;
      }
    });
}
