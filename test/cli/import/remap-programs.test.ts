// The simplest remap programs become set / remove / rename / parse_json steps; anything else is refused.
import { describe, expect, it } from 'vitest';
import { RemapUnsupported, translateRemapSource } from '../../../cli/import/vector/remap.js';

describe('remap program translation', () => {
  it('assignments, del() and rename-by-del become merged steps in order, with mapped field names', () => {
    const src = `
      # tag the environment
      .env = "prod"; .replicas = 3
      .canary = false
      del(.kubernetes.pod_uid)
      del(.password)
      .k8s_ns = del(.kubernetes.pod_namespace)
      .note = "a # is not a comment in a string"
    `;
    expect(translateRemapSource(src).steps).toEqual([
      { type: 'set', fields: { env: 'prod', replicas: 3, canary: false } },
      { type: 'remove', fields: ['k8s.pod.uid', 'password'] },
      { type: 'rename', fields: { 'k8s.namespace.name': 'k8s_ns' } },
      { type: 'set', fields: { note: 'a # is not a comment in a string' } },
    ]);
  });

  it('merging parsed JSON from the message becomes parse_json (noted)', () => {
    for (const src of ['. = merge(., parse_json!(.message))', '. |= parse_json!(.message)', '. = merge(., parse_json!(string!(.message)))']) {
      const r = translateRemapSource(src);
      expect(r.steps).toEqual([{ type: 'parse_json' }]);
      expect(r.notes[0]).toMatch(/became parse_json/);
    }
  });

  it('refuses the rest, naming the statement', () => {
    const refuse = (src: string, why: RegExp) => {
      expect(() => translateRemapSource(src)).toThrow(RemapUnsupported);
      expect(() => translateRemapSource(src)).toThrow(why);
    };
    refuse('.env = "prod"\n. = parse_json!(.message)', /statement 2 `\. = parse_json!\(\.message\)`/);
    refuse('.message = "replaced"', /\.message is not an attribute/);
    refuse('.x = .y', /statement 1/);
    refuse('if .a == "b" { .c = "d" }', /statement 1/);
    refuse('.ts = now()', /statement 1/);
    refuse('# only a comment', /empty program/);
  });
});
