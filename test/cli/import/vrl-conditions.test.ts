// Simple VRL conditions → flowlog structured conditions; anything beyond them is refused with a reason.
import { describe, expect, it } from 'vitest';
import { translateCondition, VrlUnsupported } from '../../../cli/import/vector/vrl.js';

const t = (src: string) => translateCondition(src).condition;

describe('VRL condition translation', () => {
  it('field comparisons map Vector field names to flowlog attributes', () => {
    expect(t('.kubernetes.pod_namespace != "kube-system"')).toEqual({ not: { attribute: 'k8s.namespace.name', equals: 'kube-system' } });
    expect(t('"web" == .kubernetes.container_name')).toEqual({ attribute: 'k8s.container.name', equals: 'web' });
    expect(t('.host == "node-1"')).toEqual({ attribute: 'host.name', equals: 'node-1' });
    expect(t('._SYSTEMD_UNIT == "nginx.service"')).toEqual({ attribute: 'systemd.unit', equals: 'nginx.service' });
    expect(t('.kubernetes.pod_labels."app.kubernetes.io/name" == "cart"')).toEqual({ attribute: 'kubernetes.pod_labels.app.kubernetes.io/name', equals: 'cart' });
  });

  it('levels match the severity range or the parsed level attribute, with a note', () => {
    const r = translateCondition('.level == "warn"');
    expect(r.condition).toEqual({ any: [{ all: [{ severity_at_least: 'warn' }, { not: { severity_at_least: 'error' } }] }, { attribute: 'level', equals: 'warn' }] });
    expect(r.notes[0]).toMatch(/severity in warn..error .* or an attribute "level" equal to "warn"/);
    expect(t('.severity == "fatal"')).toEqual({ any: [{ severity_at_least: 'fatal' }, { attribute: 'severity', equals: 'fatal' }] });
    expect(t('.level != "debug"')).toEqual({ not: { any: [{ all: [{ severity_at_least: 'debug' }, { not: { severity_at_least: 'info' } }] }, { attribute: 'level', equals: 'debug' }] } });
  });

  it('contains / starts_with with or without string!(), negation, && / || and parentheses', () => {
    expect(t('contains(string!(.message), "timeout")')).toEqual({ body_contains: 'timeout' });
    expect(t('contains(.message, "x")')).toEqual({ body_contains: 'x' });
    expect(t("starts_with(string!(.file), '/var/log/nginx/')")).toEqual({ attribute: 'log.file.path', prefix: '/var/log/nginx/' });
    expect(t('!contains(string!(.kubernetes.pod_name), "canary")')).toEqual({ not: { attribute: 'k8s.pod.name', contains: 'canary' } });
    expect(t('!(.a == "1" || .b == "2") && .c == "3"')).toEqual({
      all: [{ not: { any: [{ attribute: 'a', equals: '1' }, { attribute: 'b', equals: '2' }] } }, { attribute: 'c', equals: '3' }],
    });
    expect(t('.a == "1" && .b == "2" && .c == "3"')).toEqual({ all: [{ attribute: 'a', equals: '1' }, { attribute: 'b', equals: '2' }, { attribute: 'c', equals: '3' }] });
    expect(t('.status == 500')).toEqual({ attribute: 'status', equals: '500' });
  });

  it('refuses what has no structured equivalent, saying why', () => {
    const refuse = (src: string, why: RegExp) => {
      expect(() => translateCondition(src)).toThrow(VrlUnsupported);
      expect(() => translateCondition(src)).toThrow(why);
    };
    refuse('match(string!(.message), r"^ERR")', /match\(\) has no flowlog condition/);
    refuse('exists(.user)', /exists\(\) has no flowlog condition/);
    refuse('.message == "x"', /equality on \.message/);
    refuse('starts_with(string!(.message), "x")', /starts_with on \.message/);
    refuse('.status > 500', /unsupported VRL syntax/);
    refuse('.a == .b', /only a field compared with a literal/);
    refuse('.x = "y"\n.x == "y"', /assignments make this a VRL program/);
    refuse('contains(.message, "x", case_sensitive: false)', /named arguments/);
    refuse('.timestamp == "2026"', /\.timestamp/);
    refuse('', /empty condition/);
  });
});
