// Registers every component type the CLI knows (agent and aggregator), for validation and running.
import { registerComponent } from '../core/registry.js';
import { stdinSource } from '../agent/sources/stdin/index.js';
import { consoleSink } from '../agent/sinks/console/index.js';
import { kafkaSink } from '../agent/sinks/kafka/index.js';
import { fileSource } from '../agent/sources/file/index.js';
import { kubernetesLogsSource } from '../agent/sources/kubernetes/index.js';
import { wasmTransformDefs } from '../agent/transforms/wasm/index.js';
import '../spool/config.js'; // registers the top-level `spool:` section

let done = false;
export function registerAll(): void {
  if (done) return;
  done = true;
  for (const def of [stdinSource, consoleSink, kafkaSink, fileSource, kubernetesLogsSource, ...wasmTransformDefs]) registerComponent(def);
}
