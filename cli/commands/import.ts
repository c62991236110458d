import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { describeError } from '../../core/errors.js';
import { importVector } from '../import/vector/index.js';
import type { VectorFormat } from '../import/vector/parse.js';

export function registerImport(program: Command): void {
  const imp = program.command('import').description('translate another shipper\'s config into a flowlog config');
  imp
    .command('vector')
    .description(
      'translate a Vector config (TOML, YAML or JSON) into flowlog YAML on stdout; what cannot be translated ' +
        '(VRL programs, unknown components, unsupported options and templates) is listed on stderr and as comments at the top',
    )
    .argument('<file>', 'the Vector config file (vector.toml, vector.yaml, vector.json)')
    .option('-o, --output <file>', 'write the flowlog config here instead of stdout')
    .option('--format <format>', 'input format when the extension does not tell: toml, yaml or json')
    .option('--strict', 'exit with status 2 when anything was not translated')
    .addHelpText('after', '\nExample:\n  flowlog import vector /etc/vector/vector.toml > flowlog.yaml\n  flowlog validate -c flowlog.yaml')
    .action((file: string, opts: { output?: string; format?: string; strict?: boolean }) => {
      if (opts.format && !['toml', 'yaml', 'json'].includes(opts.format)) {
        process.stderr.write(`--format must be toml, yaml or json (got ${opts.format})\n`);
        process.exitCode = 1;
        return;
      }
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        process.stderr.write(`${file}: cannot read: ${(e as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
      let result;
      try {
        result = importVector(text, file, opts.format as VectorFormat | undefined);
      } catch (e) {
        process.stderr.write(describeError(e) + '\n');
        process.exitCode = 1;
        return;
      }
      for (const line of result.report.lines()) process.stderr.write(line + '\n');
      const n = result.report.untranslatedCount;
      process.stderr.write(n ? `${n} item(s) not translated: review them (listed above and at the top of the output)\n` : 'everything was translated\n');
      if (opts.output) writeFileSync(opts.output, result.yaml);
      else process.stdout.write(result.yaml);
      if (opts.strict && n > 0) process.exitCode = 2;
    });
}
