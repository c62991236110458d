// Registers every component type the CLI knows (agent and aggregator), for validation and running.
import { registerComponent } from '../core/registry.js';
import { stdinSource } from '../agent/sources/stdin/index.js';
import { journaldSource } from '../agent/sources/journald/index.js';
import { consoleSink } from '../agent/sinks/console/index.js';
import '../spool/config.js'; // registers the top-level `spool:` section
import { fileSource } from '../agent/sources/file/index.js';
import { kubernetesLogsSource } from '../agent/sources/kubernetes/index.js';
import { kafkaSink } from '../agent/sinks/kafka/index.js';
import { httpServerSource } from '../agent/sources/http/index.js';
import { wasmTransformDefs } from '../agent/transforms/wasm/index.js';
import { kafkaSource } from '../aggregator/sources/kafka/index.js';
import { archiveSink } from '../aggregator/sinks/archive/index.js';
import { registerRoutesSection } from '../aggregator/routes/config.js';

let done = false;
export function registerAll(): void {
  if (done) return;
  done = true;
  const agent = [stdinSource, fileSource, kubernetesLogsSource, journaldSource, httpServerSource, ...wasmTransformDefs, consoleSink, kafkaSink];
  const aggregator = [kafkaSource, archiveSink];
  for (const def of [...agent, ...aggregator]) registerComponent(def);
  registerRoutesSection();
}
