import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfigText } from '../../core/config/load.js';
import { registerAll } from '../../cli/components.js';
import { isFlowlogError } from '../../core/errors.js';

beforeAll(() => registerAll());

function problems(text: string, env: NodeJS.ProcessEnv = {}) {
  try {
    loadConfigText(text, 'agent.yaml', { env });
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => `${p.line}:${p.path}: ${p.message}`);
    throw e;
  }
  return [];
}

const good = `data_dir: /tmp/flowlog
sources:
  in:
    type: stdin
sinks:
  out:
    type: console
    inputs: [in]
    encoding:
      codec: text
`;

describe('config loading', () => {
  it('accepts a valid config and fills defaults from the schemas', () => {
    const cfg = loadConfigText(good, 'agent.yaml', { env: {} });
    expect(cfg.dataDir).toBe('/tmp/flowlog');
    expect(cfg.api).toEqual({ enabled: true, address: '127.0.0.1:8686' });
    const src = cfg.components.find((c) => c.name === 'in')!;
    expect(src.options).toEqual({ max_line_bytes: 1048576, batch_size: 1024 });
    const sink = cfg.components.find((c) => c.name === 'out')!;
    expect(sink.options).toEqual({ encoding: { codec: 'text' }, target: 'stdout' });
    expect(sink.inputs).toEqual(['in']);
  });

  it('rejects an unknown key naming its line and key path', () => {
    const text = good.replace('      codec: text', '      codec: text\n      colour: red');
    expect(problems(text)).toEqual(['11:sinks.out.encoding.colour: unknown key "colour"']);
  });

  it('names the line of a wrong value type', () => {
    const text = good.replace('    type: stdin', '    type: stdin\n    batch_size: lots');
    expect(problems(text)).toEqual(['5:sources.in.batch_size: expected number, received string']);
  });

  it('reports unknown component types with the known ones', () => {
    expect(problems(good.replace('type: console', 'type: nope'))[0]).toMatch(/^7:sinks\.out\.type: unknown sink type "nope"; known: .*console/);
  });

  it('checks inputs and cycles', () => {
    expect(problems(good.replace('inputs: [in]', 'inputs: [missing]'))[0]).toMatch(/^8:sinks\.out\.inputs\.0: input "missing" is not a source or transform/);
    const noInputs = good.replace('    inputs: [in]\n', '');
    expect(problems(noInputs)[0]).toMatch(/sinks\.out: sinks need inputs/);
  });

  it('interpolates ${ENV} with defaults and $$ escapes, and names unset variables', () => {
    const text = good.replace('/tmp/flowlog', () => '${DIR}/x$$y').replace('codec: text', 'codec: ${CODEC:-json}');
    const cfg = loadConfigText(text, 'agent.yaml', { env: { DIR: '/srv' } });
    expect(cfg.dataDir).toBe('/srv/x$y');
    expect((cfg.components.find((c) => c.name === 'out')!.options as { encoding: { codec: string } }).encoding.codec).toBe('json');
    expect(problems(text, {})).toEqual(['1:data_dir: environment variable DIR is not set (use ${DIR:-default} for a default)']);
  });

  it('reports YAML syntax errors with a line and duplicate keys', () => {
    const e = (() => {
      try {
        loadConfigText('sources:\n  a: [\n', 'bad.yaml');
      } catch (err) {
        return err;
      }
    })();
    expect(isFlowlogError(e, 'CONFIG_INVALID')).toBe(true);
    expect((e as ConfigError).problems[0]!.line).toBeGreaterThan(0);
    expect(problems('sources:\n  a: {type: stdin}\n  a: {type: stdin}\n')[0]).toMatch(/^3::.*[Uu]nique|^3::.*duplicate/i);
  });

  it('rejects unknown top-level keys and a bad api address', () => {
    expect(problems(good + 'sinkz: {}\n')).toEqual(['11:sinkz: unknown key "sinkz"']);
    expect(problems(good + 'api:\n  address: localhost\n')).toEqual(['12:api.address: expected host:port, e.g. 127.0.0.1:8686']);
  });
});
