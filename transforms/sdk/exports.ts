// The ABI v1 exports, for a transform to re-export: `export * from "../sdk/exports";`
export {
  flowlog_abi_version,
  flowlog_needs,
  flowlog_input,
  flowlog_init,
  flowlog_process,
  flowlog_statuses,
  flowlog_output,
  flowlog_output_len,
  flowlog_attr_keys,
} from "./abi";
