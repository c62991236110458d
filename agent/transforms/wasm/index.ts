export {
  filterTransform,
  sampleTransform,
  redactTransform,
  parseJsonTransform,
  parseLogfmtTransform,
  setTransform,
  renameTransform,
  removeTransform,
  routeTransform,
  wasmTransform,
} from './defs.js';

import * as defs from './defs.js';
/** Every WASM-backed transform ComponentDef. */
export const wasmTransformDefs = Object.values(defs);
