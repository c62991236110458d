// flowlog transform SDK (AssemblyScript). See docs/transforms.md.
export { Slice, find, findByte, contains, bytesEqual, startsWith, fnv1a, fill } from "./bytes";
export { JValue, parseJson, parseJsonString, J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } from "./json";
export {
  Record,
  Output,
  findAttr,
  STATUS_KEEP,
  STATUS_DROP,
  STATUS_MODIFIED,
  T_STRING,
  T_NUMBER,
  T_BOOL,
  T_JSON_STRING,
  T_JSON_TEXT,
  T_KEY_JSON,
} from "./record";
export { transform, transformBatch, beforeBatch, setNeeds, needAttribute, NEEDS_BODY, NEEDS_ATTRIBUTES, NEEDS_SELECTED_ATTRIBUTES, ABI_VERSION } from "./abi";
export { log, LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR } from "./host";
export { Condition, compileCondition } from "./condition";
export { bodyHits } from "./scan";
export { batchSerial } from "./abi";
export { joinKey } from "./keys";
