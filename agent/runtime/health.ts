// Process-level series for /metrics: CPU, memory, start time, and the agent's own state.
import type { Metrics } from '../../core/telemetry/metrics.js';

export function registerProcessMetrics(metrics: Metrics): { setState(s: AgentState): void; reloaded(ok: boolean): void } {
  const cpu = metrics.counter('process_cpu_seconds_total', 'User and system CPU time of the agent process');
  const rss = metrics.gauge('process_resident_memory_bytes', 'Resident set size of the agent process');
  const heap = metrics.gauge('flowlog_process_heap_used_bytes', 'V8 heap in use');
  const external = metrics.gauge('flowlog_process_external_bytes', 'Memory of Buffers and other objects outside the V8 heap');
  const start = metrics.gauge('process_start_time_seconds', 'Start time of the agent process (Unix seconds)');
  start.set(Math.floor(Date.now() / 1000 - process.uptime()));
  let lastCpu = 0;
  metrics.onCollect('process_cpu_seconds_total', () => {
    const u = process.cpuUsage();
    const total = (u.user + u.system) / 1e6;
    cpu.inc(total - lastCpu);
    lastCpu = total;
  });
  metrics.onCollect('process_resident_memory_bytes', () => rss.set(process.memoryUsage.rss()));
  metrics.onCollect('flowlog_process_heap_used_bytes', () => {
    const m = process.memoryUsage();
    heap.set(m.heapUsed);
    external.set(m.external);
  });
  const states: AgentState[] = ['starting', 'running', 'reloading', 'stopping'];
  const gauges = states.map((s) => metrics.gauge('flowlog_agent_state', 'The agent lifecycle state (1 for the current one)', { state: s }));
  const reloads = metrics.counter('flowlog_agent_reloads_total', 'Config reloads that took effect (SIGHUP)', { result: 'ok' });
  const refused = metrics.counter('flowlog_agent_reloads_total', 'Config reloads that took effect (SIGHUP)', { result: 'refused' });
  return {
    setState(s) {
      states.forEach((x, i) => gauges[i]!.set(x === s ? 1 : 0));
    },
    reloaded(ok) {
      (ok ? reloads : refused).inc();
    },
  };
}

export type AgentState = 'starting' | 'running' | 'reloading' | 'stopping';
